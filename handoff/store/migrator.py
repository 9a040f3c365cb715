"""Applies the named migrations of `handoff.store.migrations` in order, each with its record in one
transaction; the server's startup and the `migrate_schema.py` CLI both call `migrate`.

Data steps that need the secret key (sealing channel secrets stored in clear by older versions) cannot be
named migrations, which see only the database: `migrate` runs them after the schema when given the key,
every time, and they change only what is still to change.

A target is a SQLite file path or a `postgresql://` URL; PostgreSQL gets each step's form from
`handoff.store.migrations_pg` (applied by `handoff.store.migrator_pg`).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from handoff.crypto import SecretBox
from handoff.store import channels
from handoff.store.backend import is_postgres_url
from handoff.store.database import configure, make_private, now_iso
from handoff.store.migrations import MIGRATIONS

log = logging.getLogger("handoff.migrate")
Step = str | Callable[[sqlite3.Connection], None]


def connect(path: str) -> sqlite3.Connection:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    make_private(path)
    conn = sqlite3.connect(path, isolation_level=None)
    configure(conn)
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    return conn


def applied_names(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]


def status(path: str) -> list[tuple[str, str | None]]:
    """Every known migration with its applied time, or None when pending."""
    if is_postgres_url(path):
        from handoff.store import migrator_pg  # imported only for a PostgreSQL target

        return migrator_pg.status(path, MIGRATIONS)
    conn = connect(path)
    try:
        done = dict(conn.execute("SELECT name, applied_at FROM schema_migrations").fetchall())
        return [(name, done.get(name)) for name, _ in MIGRATIONS]
    finally:
        conn.close()


def _apply(conn: sqlite3.Connection, name: str, step: Step) -> None:
    """One migration and its record in one transaction: it is applied whole or not at all."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if isinstance(step, str):
            for statement in split_statements(step):
                conn.execute(statement)
        else:
            step(conn)
        conn.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", (name, now_iso()))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def split_statements(script: str) -> list[str]:
    """Split a script on complete statements (trigger bodies contain semicolons)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip():
        raise ValueError(f"incomplete SQL statement: {current.strip()[:80]}")
    return statements


def migrate(path: str, secrets: SecretBox | None = None) -> list[str]:
    """Apply pending migrations in order, then (given the key) seal channel secrets still in clear;
    returns the names of the migrations applied (none when up to date)."""
    if is_postgres_url(path):
        from handoff.store import migrator_pg

        # Nothing to seal there: no version before encryption ever wrote to PostgreSQL.
        return migrator_pg.migrate(path, MIGRATIONS)
    conn = connect(path)
    try:
        done = set(applied_names(conn))
        applied = []
        for name, step in MIGRATIONS:
            if name in done:
                continue
            _apply(conn, name, step)
            log.info("applied migration %s", name)
            applied.append(name)
        if secrets is not None:
            seal_secrets(conn, secrets)
        return applied
    finally:
        conn.close()


def seal_secrets(conn: sqlite3.Connection, secrets: SecretBox) -> int:
    """Encrypt channel secrets an older version stored in clear, in one transaction.

    The plaintext must not survive in the file either: secure_delete zeroes the space the old values
    leave in their pages, and a truncating checkpoint drops WAL frames that still hold old page images
    (this runs before the server opens its connections, so the checkpoint is complete)."""
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("BEGIN IMMEDIATE")
    try:
        sealed = channels.seal_plaintext(conn, secrets)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("PRAGMA secure_delete = OFF")
    if sealed:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        log.info("encrypted the channel secrets of %d account(s) stored in clear", sealed)
    return sealed
