"""Outbound messages as a platform knows them: by the platform's id for them (provider id), and by how far a
contact's delivery or read receipt reaches. Status changes themselves go through the outbox's
`record_status`/`set_status`, which also keep what staff sockets are told."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from handoff.store.database import row_or_none


def has_provider_id(conn: sqlite3.Connection, channel: str, provider_id: str) -> bool:
    """Whether one of our messages on this channel already carries this platform id."""
    found = conn.execute("SELECT 1 FROM messages WHERE channel = ? AND provider_id = ?", (channel, provider_id))
    return row_or_none(found) is not None


def set_provider_id(conn: sqlite3.Connection, message_id: int, provider_id: str) -> None:
    conn.execute("UPDATE messages SET provider_id = ? WHERE id = ?", (provider_id, message_id))


def staff_messages_sent_by(
    conn: sqlite3.Connection, contact_id: int, statuses: Sequence[str], cutoff: str
) -> list[tuple[int, str]]:
    """(id, status) of staff messages to the contact still in one of `statuses` that went out (or, never
    sent through the outbox, were written) at or before `cutoff`, a receipt's watermark."""
    marks = ",".join("?" * len(statuses))
    rows = conn.execute(
        "SELECT m.id, m.status FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " LEFT JOIN outbox o ON o.message_id = m.id WHERE c.contact_id = ? AND m.sender = 'staff'"
        f" AND m.status IN ({marks}) AND coalesce(o.sent_at, m.created_at) <= ?",
        (contact_id, *statuses, cutoff),
    )
    return [(int(r["id"]), str(r["status"])) for r in rows]
