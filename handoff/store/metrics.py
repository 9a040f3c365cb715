"""conversation_metrics: one row per conversation, written as it moves (opened, answered, escalated,
resolved, reopened) so analytics reads facts instead of replaying messages.

The row is created by `conversations.open_conversation` and its first response is recorded by
`conversations.insert_message`; the rest of its life is here."""

from __future__ import annotations

import sqlite3

from handoff.store.database import row_or_none


def mark_escalated(conn: sqlite3.Connection, conversation_id: int) -> None:
    conn.execute("UPDATE conversation_metrics SET escalated = 1 WHERE conversation_id = ?", (conversation_id,))


def started_at(conn: sqlite3.Connection, conversation_id: int) -> str | None:
    """When the conversation started; None when it has no metrics row."""
    row = row_or_none(
        conn.execute("SELECT started_at FROM conversation_metrics WHERE conversation_id = ?", (conversation_id,))
    )
    return None if row is None else str(row["started_at"])


def record_resolution(
    conn: sqlite3.Connection,
    conversation_id: int,
    *,
    resolved_at: str,
    seconds: float,
    missed: bool,
    customer_messages: int,
    staff_messages: int,
) -> None:
    """The conversation closed: when, how long it took, and its message counts (counted once, at close)."""
    conn.execute(
        "UPDATE conversation_metrics SET resolved_at = ?, resolution_seconds = ?, missed = ?,"
        " customer_messages = ?, staff_messages = ? WHERE conversation_id = ?",
        (resolved_at, seconds, int(missed), customer_messages, staff_messages, conversation_id),
    )


def clear_resolution(conn: sqlite3.Connection, conversation_id: int) -> None:
    """The conversation reopened: it is unresolved again until it next closes."""
    conn.execute(
        "UPDATE conversation_metrics SET resolved_at = NULL, resolution_seconds = NULL, missed = 0"
        " WHERE conversation_id = ?",
        (conversation_id,),
    )
