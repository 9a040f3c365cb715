"""Throughput of `migrate_schema.py --copy-to`: a SQLite file with many messages copied into a scratch
PostgreSQL database, rows/s over the whole copy (migration, COPY, search index, sequences, verification).

    python bench/copy_to.py [--url postgresql://postgres@127.0.0.1:5432/postgres] [--messages 500000]

The file gets one tenant, conversations of 20 messages each (of ~60 characters), a third of them closed and
indexed for search. The scratch database `handoff_bench_<random>` is created on the server of `--url` and
dropped at the end.
"""

from __future__ import annotations

import argparse
import secrets
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from handoff.store import migrator  # noqa: E402
from handoff.store.copy_to_pg import copy_to_postgres  # noqa: E402

PER_CONVERSATION = 20
NOW = "2030-01-01T00:00:00.000Z"


def seed(path: str, messages: int) -> None:
    migrator.migrate(path)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO tenants (id, name, widget_key, created_at) VALUES (1, 'Bench', 'wk', ?)", (NOW,))
    conversations = messages // PER_CONVERSATION
    conn.executemany(
        "INSERT INTO contacts (id, tenant_id, channel, external_id, created_at, last_seen_at)"
        " VALUES (?, 1, 'webchat', ?, ?, ?)",
        ((i, f"visitor-{i}", NOW, NOW) for i in range(1, conversations + 1)),
    )
    conn.executemany(
        "INSERT INTO conversations (id, tenant_id, contact_id, channel, status, created_at, last_message_at)"
        " VALUES (?, 1, ?, 'webchat', ?, ?, ?)",
        ((i, i, "closed" if i % 3 == 0 else "open", NOW, NOW) for i in range(1, conversations + 1)),
    )
    conn.executemany(
        "INSERT INTO messages (tenant_id, conversation_id, channel, sender, text, created_at)"
        " VALUES (1, ?, 'webchat', ?, ?, ?)",
        (
            (
                1 + n // PER_CONVERSATION,
                "visitor" if n % 2 else "staff",
                f"message {n}: where is my parcel, please?",
                NOW,
            )
            for n in range(conversations * PER_CONVERSATION)
        ),
    )
    conn.execute(
        "INSERT INTO search_index (rowid, body, kind, ref_id, tenant_id) SELECT 2 * c.id,"
        " (SELECT group_concat(text, char(10)) FROM messages m WHERE m.conversation_id = c.id), 'conversation', c.id, 1"
        " FROM conversations c WHERE c.status = 'closed'"
    )
    conn.commit()
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--messages", type=int, default=500_000)
    args = parser.parse_args()
    name = f"handoff_bench_{secrets.token_hex(6)}"
    target = urlsplit(args.url)._replace(path=f"/{name}").geturl()
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "bench.sqlite")
        seed(path, args.messages)
        with psycopg.connect(args.url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            started = time.monotonic()
            report = copy_to_postgres(path, target)
            seconds = time.monotonic() - started
            rows = report.rows + report.counts["search_index"]
            sys.stdout.write(f"{rows:,} rows in {seconds:.1f} s: {rows / seconds:,.0f} rows/s\n")
        finally:
            with psycopg.connect(args.url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
