"""A stored message's delivery state: its status, error and the platform's id for it.

Messages are stored by `conversations.insert_message`; this module moves them along afterwards (outbox
outcomes, platform status reports, read receipts). Which moves are allowed is the caller's rule
(`handoff.delivery.outbox.advances`)."""

from __future__ import annotations

import sqlite3

from handoff.store.backend import dialect
from handoff.store.database import IntegrityError, one_row, row_or_none


def set_status(conn: sqlite3.Connection, message_id: int, status: str, error: str | None) -> None:
    conn.execute("UPDATE messages SET status = ?, error = ? WHERE id = ?", (status, error, message_id))


def status_of(conn: sqlite3.Connection, message_id: int) -> str | None:
    """A message's current status (None for a message that never had one)."""
    row = one_row(conn.execute("SELECT status FROM messages WHERE id = ?", (message_id,)))
    status: str | None = row["status"]
    return status


def by_provider_id(conn: sqlite3.Connection, channel: str, provider_id: str) -> sqlite3.Row | None:
    """(id, tenant_id, status) of the message a platform knows by this id, if one has recorded it."""
    return row_or_none(
        conn.execute(
            "SELECT id, tenant_id, status FROM messages WHERE channel = ? AND provider_id = ?", (channel, provider_id)
        )
    )


def record_provider_id(conn: sqlite3.Connection, message_id: int, provider_id: str) -> bool:
    """Note the platform's id for a sent message; False (and nothing written) when another message of the
    channel already holds that id."""
    # messages_provider is unique per channel. SQLite undoes the failed statement alone; PostgreSQL aborts
    # the whole transaction, so there the statement runs inside a savepoint of its own.
    postgres = dialect(conn) == "postgresql"
    if postgres:
        conn.execute("SAVEPOINT provider_id")
    try:
        conn.execute("UPDATE messages SET provider_id = ? WHERE id = ?", (provider_id, message_id))
    except IntegrityError:
        if postgres:
            conn.execute("ROLLBACK TO SAVEPOINT provider_id")
        return False
    if postgres:
        conn.execute("RELEASE SAVEPOINT provider_id")
    return True


def mark_staff_messages_read(conn: sqlite3.Connection, conversation_id: int, upto: int) -> list[int]:
    """Staff messages up to `upto` that were sent or delivered become read; returns their ids."""
    rows = conn.execute(
        "UPDATE messages SET status = 'read' WHERE conversation_id = ? AND sender = 'staff' AND id <= ?"
        " AND status IN ('sent', 'delivered') RETURNING id",
        (conversation_id, upto),
    ).fetchall()
    return [int(row["id"]) for row in rows]
