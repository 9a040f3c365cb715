"""CPU per web-chat message of the writer's statements, in process, and what each statement takes.

```sh
.venv/bin/python bench/write_cost.py                   # 20,000 messages from 1,000 visitors, batches of 20
.venv/bin/python bench/write_cost.py --messages 200000 # a bigger database: deeper B-trees
```

No server, no sockets, no fsync (`synchronous=OFF`: the commit's cost is measured by floor.py, not here): the
real schema (`migrate`) on a temporary file, and the statements `conversations.receive` runs for a message from
a web visitor who already has an open conversation (find the contact, find the open conversation, insert
unless the client id is already stored, update the conversation, build the staff event's conversation, look
for webhook endpoints), a savepoint each, 20 to a transaction as the group commit batches them under load. Prints the
process CPU time per message (the figure that holds up on a shared machine), then each statement's share.
"""

from __future__ import annotations

import argparse
import collections
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handoff.conversations.audience import with_visitors
from handoff.store import conversations as store
from handoff.store import people
from handoff.store.database import configure, now_iso
from handoff.store.migrator import migrate

BATCH = 20
SPENT: collections.Counter[str] = collections.Counter()  # seconds per statement text
RUNS: collections.Counter[str] = collections.Counter()


class TimedConnection(sqlite3.Connection):
    """Adds each statement's wall time to SPENT (one core, nothing else running: close to its CPU time)."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        started = time.perf_counter()
        try:
            return super().execute(sql, parameters)
        finally:
            SPENT[sql] += time.perf_counter() - started
            RUNS[sql] += 1


def customer_message(conn: sqlite3.Connection, tenant_id: int, visitor: str) -> None:
    """What `conversations.receive`'s write does for a web visitor's message (no attachments, no merge)."""
    client_id = str(uuid.uuid4())
    external_id = f"visitor:{client_id}"
    contact = store.contact_for_message(conn, tenant_id, "webchat", visitor, name=None, email=None, phone=None)
    conversation = people.open_conversation_for(conn, contact, people.MESSAGE_TARGET)
    if conversation is None:  # a visitor's first message (the warm-up): looked up first, as receive does
        assert store.find_by_external_id(conn, tenant_id, "webchat", external_id) is None
        conversation = store.open_conversation(conn, contact)
    stored = store.insert_customer_message_once(
        conn, conversation, "b " + client_id, external_id=external_id, client_id=client_id
    )
    assert stored is not None
    shown = store.conversation_of(conn, stored.conversation, contact, stored.message)
    with_visitors(conn, shown, contact["person_id"])


def run_batches(conn: sqlite3.Connection, tenant_id: int, first: int, count: int, visitors: int) -> None:
    for start in range(first, first + count, BATCH):
        conn.execute("BEGIN IMMEDIATE")
        for n in range(start, start + BATCH):
            conn.execute("SAVEPOINT job")
            customer_message(conn, tenant_id, f"visitor-{n % visitors}")
            conn.execute("RELEASE job")
        conn.execute("COMMIT")


def open_writer(path: str, factory: type[sqlite3.Connection]) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, factory=factory)
    configure(conn)
    conn.execute("PRAGMA synchronous=OFF")
    return conn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=20_000, help="measured messages (after a warm-up)")
    ap.add_argument("--visitors", type=int, default=1_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="write-cost-") as scratch:
        path = os.path.join(scratch, "handoff.sqlite")
        migrate(path)
        conn = open_writer(path, sqlite3.Connection)
        tenant_id = conn.execute(
            "INSERT INTO tenants (name, widget_key, created_at) VALUES ('Bench', ?, ?) RETURNING id",
            (uuid.uuid4().hex, now_iso()),
        ).fetchone()[0]
        warm = max(args.visitors * 5, 5_000) // BATCH * BATCH
        measured = args.messages // BATCH * BATCH
        print(f"warm-up: {warm:,} messages (every visitor gets a conversation)...", flush=True)
        run_batches(conn, tenant_id, 0, warm, args.visitors)
        print(f"measuring {measured:,} messages in batches of {BATCH}...", flush=True)
        started = time.process_time()
        for done in range(0, measured, 10_000):
            run_batches(conn, tenant_id, warm + done, min(10_000, measured - done), args.visitors)
            print(f"  {done + min(10_000, measured - done):,} done", flush=True)
        cpu = time.process_time() - started
        conn.close()
        # Timing each statement adds a Python call per statement, so the breakdown is a run of its own.
        timed = min(measured, 20_000)
        print(f"timing each statement over {timed:,} more messages...", flush=True)
        conn = open_writer(path, TimedConnection)
        run_batches(conn, tenant_id, warm + measured, timed, args.visitors)
        conn.close()
    statements = sum(SPENT.values())
    print(f"\n{cpu / measured * 1e6:.1f} µs of CPU per message, about {statements / timed * 1e6:.1f} µs of it in "
          f"SQLite's execute (statement text to result row), the rest Python around it")  # fmt: skip
    for sql, seconds in SPENT.most_common(12):
        one_line = " ".join(sql.split())
        print(f"  {seconds / timed * 1e6:6.1f} µs  ×{RUNS[sql] / timed:.2f}  {one_line[:100]}")


if __name__ == "__main__":
    main()
