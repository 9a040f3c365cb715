"""Locks for read-then-write jobs that several processes may run at once on one PostgreSQL database.

SQLite runs one write at a time, so there every helper here costs nothing and takes nothing; PostgreSQL runs
writes concurrently, in READ COMMITTED: a row read early in a transaction may be changed by another before
this one writes, unless the read locked it.
"""

from __future__ import annotations

import sqlite3

from handoff.store.backend import dialect


def serialised(conn: sqlite3.Connection, name: str) -> None:
    """Until this write's transaction ends, every other write that asks for the same `name` waits here (on
    any process): for a job whose reads decide what it writes and that has no row to lock yet (the first
    start's "no user yet"). Each statement after this sees what the previous holder committed."""
    if dialect(conn) == "postgresql":
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (f"handoff:{name}",))


def for_update(conn: sqlite3.Connection) -> str:
    """ " FOR UPDATE" to end a SELECT of the row a write is about to change, on PostgreSQL: a concurrent
    write of the same row then waits, and reads what this one committed. Nothing on SQLite."""
    return " FOR UPDATE" if dialect(conn) == "postgresql" else ""
