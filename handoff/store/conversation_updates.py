"""Changes to a conversations row that the domain's operations make besides storing a message: assignee,
tags, open/closed, escalation and the read marks. (`conversations.insert_message` moves the clocks and
counters a message moves.)"""

from __future__ import annotations

import json
import sqlite3

from handoff.store.backend import dialect
from handoff.store.database import row_or_none


def set_assignee(conn: sqlite3.Connection, conversation_id: int, assignee_id: int | None) -> None:
    conn.execute("UPDATE conversations SET assignee_id = ? WHERE id = ?", (assignee_id, conversation_id))


def set_tags(conn: sqlite3.Connection, conversation_id: int, tags: list[str]) -> None:
    conn.execute("UPDATE conversations SET tags = ? WHERE id = ?", (json.dumps(tags), conversation_id))


def reopen(conn: sqlite3.Connection, conversation_id: int) -> None:
    """Open a closed conversation again (the caller checks that its contact has no other open one)."""
    conn.execute(
        "UPDATE conversations SET status = 'open', closed_at = NULL, snoozed_until = NULL WHERE id = ?",
        (conversation_id,),
    )


def mark_closed(conn: sqlite3.Connection, conversation_id: int, closed_at: str) -> None:
    """Close; nobody is awaiting an answer in a closed conversation, so its escalation clock stops."""
    conn.execute(
        "UPDATE conversations SET status = 'closed', closed_at = ?, awaiting_since = NULL, snoozed_until = NULL"
        " WHERE id = ?",
        (closed_at, conversation_id),
    )


def snooze(conn: sqlite3.Connection, conversation_id: int, until: str) -> None:
    """Hide an open conversation from the open inbox until `until` (or the customer's next message). Snoozing
    answers the wait so far: the escalation clock stops, and the customer's next message starts it again."""
    conn.execute(
        "UPDATE conversations SET snoozed_until = ?, awaiting_since = NULL WHERE id = ?", (until, conversation_id)
    )


def wake(conn: sqlite3.Connection, conversation_id: int) -> bool:
    """End a snooze; whether there was one to end (False: the timer or a message woke it first)."""
    woken = conn.execute(
        "UPDATE conversations SET snoozed_until = NULL WHERE id = ? AND snoozed_until IS NOT NULL", (conversation_id,)
    )
    return woken.rowcount == 1


def mark_escalated(conn: sqlite3.Connection, conversation_id: int) -> None:
    conn.execute("UPDATE conversations SET escalated = 1 WHERE id = ?", (conversation_id,))


def set_visitor_read(conn: sqlite3.Connection, conversation_id: int, upto: int) -> bool:
    """The customer has seen the conversation up to message `upto`; False (nothing written) when the mark is
    already there or past it: two tabs on two processes may report in either order, it only moves forward."""
    moved = conn.execute(
        "UPDATE conversations SET visitor_read_message_id = ? WHERE id = ? AND visitor_read_message_id < ?",
        (upto, conversation_id, upto),
    )
    return moved.rowcount == 1


def advance_staff_read(conn: sqlite3.Connection, tenant_id: int, conversation_id: int, message_id: int) -> int | None:
    """Move staff's read mark to `message_id` (capped at the last message) when that is past the current
    mark; returns the new mark, or None when it was not past it or the conversation is not this tenant's.

    The scalar two-argument `min` is spelled `least` on PostgreSQL."""
    least = "least" if dialect(conn) == "postgresql" else "min"
    row = row_or_none(
        conn.execute(
            f"UPDATE conversations SET staff_read_message_id = {least}(?, coalesce(last_message_id, 0))"
            " WHERE id = ? AND tenant_id = ? AND staff_read_message_id < ? RETURNING id, staff_read_message_id",
            (message_id, conversation_id, tenant_id, message_id),
        )
    )
    return None if row is None else int(row["staff_read_message_id"])


def recount_unread(conn: sqlite3.Connection, conversation_id: int, read_upto: int) -> None:
    """Set the unread count to the customer messages after staff's read mark.

    Reading is rare next to writing: counted here, once per read, not on every message."""
    conn.execute(
        "UPDATE conversations SET unread_count = (SELECT COUNT(*) FROM messages WHERE conversation_id = ?"
        " AND sender = 'visitor' AND id > ?) WHERE id = ?",
        (conversation_id, read_upto, conversation_id),
    )
