"""Private notes: staff messages only the team sees. Stored in `messages` with `private = 1` so they sit in
the staff transcript in order, but they move none of the conversation's clocks or counters."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from handoff.store.backend import dialect
from handoff.store.conversations import INSERT_MESSAGE
from handoff.store.database import now_iso, one_row
from handoff.store.objects import message_json

INSERT_NOTE = INSERT_MESSAGE.replace("created_at)", "created_at, private)").replace("?)", "?, 1)")


def insert_note(
    conn: sqlite3.Connection,
    conversation: sqlite3.Row,
    text: str,
    *,
    author_id: int,
    author_name: str,
    external_id: str | None,
    client_id: str | None,
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Store a note. The conversation row is left alone on purpose: a note does not reopen it, answer the
    customer (awaiting/escalation clocks, unread count, first response), assign it, or count as activity
    for the list order or the idle auto-close; docs/api.md, "Private notes"."""
    now = now_iso()
    stored_attachments = json.dumps(attachments) if attachments else None
    postgres = dialect(conn) == "postgresql"
    values = (
        conversation["tenant_id"],
        conversation["id"],
        conversation["channel"],
        "staff",
        author_id,
        text,
        stored_attachments,
        external_id,
        client_id,
        None,  # no delivery status: a note is never delivered, so read receipts never touch it
        now,
    )
    cursor = conn.execute(INSERT_NOTE + (" RETURNING id" if postgres else ""), values)
    message_id = int(one_row(cursor)[0] if postgres else cursor.lastrowid or 0)
    written = {
        "id": message_id,
        "tenant_id": conversation["tenant_id"],
        "conversation_id": conversation["id"],
        "channel": conversation["channel"],
        "sender": "staff",
        "text": text,
        "created_at": now,
        "client_id": client_id,
        "author_id": author_id,
        "author_name": author_name,
        "status": None,
        "error": None,
        "attachments": stored_attachments,
        "private": 1,
    }
    return message_json(written)
