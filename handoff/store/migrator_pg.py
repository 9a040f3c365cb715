"""Applies the named migrations to PostgreSQL: each step's PostgreSQL form and its record in one
transaction (PostgreSQL DDL is transactional), under an advisory lock so that several processes starting
at once apply each step exactly once: the others wait, then find it recorded and skip it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

from handoff.store.backend import redact
from handoff.store.database import now_iso
from handoff.store.migrations_pg import PG_MIGRATIONS, SAME
from handoff.store.pg_adapter import PgConnection, configure

log = logging.getLogger("handoff.migrate")
# Any fixed 64-bit number: only Handoff's migrators take it. Transaction-scoped, so a migrator that dies
# mid-step releases it with its rolled-back transaction.
LOCK_KEY = 0x68616E646F6666  # "handoff"
SCHEMA_TABLE = "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"

Step = str | Callable[[Any], None]


def connect(url: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(url, autocommit=True)
    configure(conn)
    with conn.transaction():
        # Under the lock too: two processes' CREATE TABLE IF NOT EXISTS can otherwise collide.
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute(SCHEMA_TABLE)
    return conn


def pg_form(name: str, sqlite_step: Step) -> Step:
    """The step to run on PostgreSQL for the migration `name`."""
    try:
        step = PG_MIGRATIONS[name]
    except KeyError:
        raise LookupError(
            f"migration {name} has no PostgreSQL form: add it to handoff/store/migrations_pg.py"
        ) from None
    if step == SAME:
        if not isinstance(sqlite_step, str):
            raise TypeError(f"migration {name} is Python code: its PostgreSQL form must be written out")
        return sqlite_step
    return step


def status(url: str, migrations: Sequence[tuple[str, Step]]) -> list[tuple[str, str | None]]:
    """Every known migration with its applied time, or None when pending."""
    with connect(url) as conn:
        done: dict[str, str] = dict(conn.execute("SELECT name, applied_at FROM schema_migrations").fetchall())
    return [(name, done.get(name)) for name, _ in migrations]


def migrate(url: str, migrations: Sequence[tuple[str, Step]]) -> list[str]:
    """Apply pending migrations in order; returns the names this call applied."""
    steps = [(name, pg_form(name, step)) for name, step in migrations]  # all or nothing: check before starting
    applied = []
    with connect(url) as conn:
        done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
        for name, step in steps:
            if name not in done and _apply(conn, name, step):
                log.info("applied migration %s to %s", name, redact(url))
                applied.append(name)
    return applied


def _apply(conn: psycopg.Connection[Any], name: str, step: Step) -> bool:
    """One step and its record in one transaction; False when another process applied it first."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        if conn.execute("SELECT 1 FROM schema_migrations WHERE name = %s", (name,)).fetchone():
            return False
        if isinstance(step, str):
            conn.execute(step)  # no parameters: sent as one multi-statement script
        else:
            step(PgConnection(conn))
        conn.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (%s, %s)", (name, now_iso()))
    return True
