"""The contract's message, contact and conversation objects, built from rows (`handoff.store.conversations`
stores them and reaches these through its own namespace too)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from handoff.uploads import with_links

# A merged identity shows its person's name (and email or phone when it has none of its own).
CONVERSATION_SELECT = """
SELECT c.*, ct.channel AS contact_channel, coalesce(pe.name, ct.name) AS contact_name,
       coalesce(ct.email, pe.email) AS contact_email, coalesce(ct.phone, pe.phone) AS contact_phone,
       ct.opted_out AS contact_opted_out, ct.external_id AS contact_external_id,
       ct.verified_user_id AS contact_verified_user_id, u.name AS assignee_name
FROM conversations c JOIN contacts ct ON ct.id = c.contact_id LEFT JOIN users u ON u.id = c.assignee_id
LEFT JOIN contacts pe ON pe.id = ct.person_id AND ct.person_id <> ct.id
"""
MESSAGE_SELECT = "SELECT m.*, u.name AS author_name FROM messages m LEFT JOIN users u ON u.id = m.author_id"


Columns = sqlite3.Row | dict[str, Any]


def message_json(row: Columns) -> dict[str, Any]:
    """The contract's message object, from a MESSAGE_SELECT row or the same columns just written."""
    message: dict[str, Any] = {
        "id": row["id"],
        "conversation_id": row["conversation_id"],
        "channel": row["channel"],
        "sender": row["sender"],
        "text": row["text"],
        "created_at": row["created_at"],
        "client_id": row["client_id"],
    }
    if row["author_id"] is not None:
        message["author"] = {"id": row["author_id"], "name": row["author_name"]}
    if row["status"] and row["status"] != "received":
        message["status"] = row["status"]
    if row["error"]:
        message["error"] = row["error"]
    if row["attachments"]:
        message["attachments"] = with_links(row["tenant_id"], json.loads(row["attachments"]))
    if row["private"]:
        message["private"] = True
    return message


def contact_json(row: Columns, prefix: str = "") -> dict[str, Any]:
    """From a contacts row, or from a CONVERSATION_SELECT row with prefix "contact_"."""
    return {
        "id": row[f"{prefix}id"],
        "channel": row[f"{prefix}channel"],
        "name": row[f"{prefix}name"],
        "email": row[f"{prefix}email"],
        "phone": row[f"{prefix}phone"],
        "opted_out": bool(row[f"{prefix}opted_out"]),
        "external_id": row[f"{prefix}external_id"],
        "verified": row[f"{prefix}verified_user_id"] is not None,
    }


def conversation_json(row: sqlite3.Row, last_message: dict[str, Any] | None) -> dict[str, Any]:
    """From a CONVERSATION_SELECT row (contact and assignee joined in)."""
    assignee = {"id": row["assignee_id"], "name": row["assignee_name"]} if row["assignee_id"] else None
    return _conversation_object(row, contact_json(row, "contact_"), assignee, last_message)


def conversation_of(
    conn: sqlite3.Connection, row: sqlite3.Row, contact: sqlite3.Row, last_message: dict[str, Any] | None
) -> dict[str, Any]:
    """From a plain conversations row the caller holds (an UPDATE's RETURNING) and its contacts row."""
    assignee = None
    if row["assignee_id"]:
        name = conn.execute("SELECT name FROM users WHERE id = ?", (row["assignee_id"],)).fetchone()
        assignee = {"id": row["assignee_id"], "name": name[0] if name else None}
    shown = contact_json(contact)
    if contact["person_id"] is not None and contact["person_id"] != contact["id"]:  # a merged identity
        person = conn.execute(
            "SELECT name, email, phone FROM contacts WHERE id = ?", (contact["person_id"],)
        ).fetchone()
        if person is not None:
            shown["name"] = person["name"] or shown["name"]
            shown["email"] = shown["email"] or person["email"]
            shown["phone"] = shown["phone"] or person["phone"]
    return _conversation_object(row, shown, assignee, last_message)


def _conversation_object(
    row: sqlite3.Row, contact: dict[str, Any], assignee: dict[str, Any] | None, last_message: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "id": row["id"],
        "tenant_id": row["tenant_id"],
        "channel": row["channel"],
        # Stored as open (the customer's next message lands in it); shown as snoozed until it wakes.
        "status": "snoozed" if row["status"] == "open" and row["snoozed_until"] else row["status"],
        "snoozed_until": row["snoozed_until"],
        "escalated": bool(row["escalated"]),
        "tags": json.loads(row["tags"] or "[]"),
        "contact": contact,
        "assignee": assignee,
        "last_message": last_message,
        "unread_count": row["unread_count"],
        "visitor_read_message_id": row["visitor_read_message_id"],
        "staff_read_message_id": row["staff_read_message_id"],
        "created_at": row["created_at"],
        "last_message_at": row["last_message_at"],
        "closed_at": row["closed_at"],
    }


def load_message(conn: sqlite3.Connection, message_id: int) -> dict[str, Any] | None:
    row = conn.execute(f"{MESSAGE_SELECT} WHERE m.id = ?", (message_id,)).fetchone()
    return message_json(row) if row else None


def load_conversation(
    conn: sqlite3.Connection, tenant_id: int, conversation_id: int, known: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """A conversation of this tenant as JSON; None for another tenant's id (callers answer 404).

    `known` is a message the caller already holds: reused when it is the conversation's last message.
    """
    row = conn.execute(
        f"{CONVERSATION_SELECT} WHERE c.id = ? AND c.tenant_id = ?", (conversation_id, tenant_id)
    ).fetchone()
    if row is None:
        return None
    last_id = row["last_message_id"]
    last = known if known and known["id"] == last_id else (load_message(conn, last_id) if last_id else None)
    return conversation_json(row, last)


def conversations_json(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    ids = [r["last_message_id"] for r in rows if r["last_message_id"]]
    last: dict[int, dict[str, Any]] = {}
    if ids:
        marks = ",".join("?" * len(ids))
        for m in conn.execute(f"{MESSAGE_SELECT} WHERE m.id IN ({marks})", ids):
            last[m["id"]] = message_json(m)
    return [conversation_json(r, last.get(r["last_message_id"])) for r in rows]
