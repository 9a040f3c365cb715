"""What a customer may see of their conversations, never the team's private notes: a conversation as they saw it,
for emailing (`public_messages`), and a web visitor's transcript for the widget and a socket's resume
(`transcript_after`)."""

from __future__ import annotations

import sqlite3
from typing import Any

from handoff.store.objects import MESSAGE_SELECT, message_json

WHO = {"visitor": "You", "system": "Notice"}


def public_messages(conn: sqlite3.Connection, conversation_id: int, limit: int = 2000) -> list[dict[str, Any]]:
    """Oldest first, as `{who, text, at}`: never a private note (`private = 0`)."""
    rows = conn.execute(
        "SELECT m.sender, m.text, u.name AS author_name, m.created_at, m.attachments FROM messages m"
        " LEFT JOIN users u ON u.id = m.author_id WHERE m.conversation_id = ? AND m.private = 0 ORDER BY m.id LIMIT ?",
        (conversation_id, limit),
    )
    out = []
    for r in rows:
        text = r["text"] or ("(attachment)" if r["attachments"] else "")
        who = WHO.get(r["sender"]) or r["author_name"] or "Support"
        out.append({"who": who, "text": text, "at": r["created_at"].replace("T", " ")[:16] + " UTC"})
    return out


# The contact and, once merged, every identity of its person: a merged-away visitor's widget shows the
# thread its messages now land in.
PERSON_IDS = (
    "SELECT CAST(? AS BIGINT) UNION SELECT i.id FROM contacts me, contacts i WHERE me.id = ? AND me.person_id IS NOT NULL"
    " AND (i.id = me.person_id OR i.person_id = me.person_id)"
)


def transcript_after(conn: sqlite3.Connection, contact_id: int, after: int, limit: int = 500) -> list[dict[str, Any]]:
    """What a contact may see of their person's conversations after a message id, oldest first (resume and
    polling): everything but the team's private notes."""
    rows = conn.execute(
        f"{MESSAGE_SELECT} WHERE m.conversation_id IN (SELECT id FROM conversations WHERE contact_id IN ({PERSON_IDS}))"
        " AND m.id > ? AND m.private = 0 ORDER BY m.id LIMIT ?",
        (contact_id, contact_id, after, limit),  # PERSON_IDS takes the contact twice
    ).fetchall()
    return [message_json(r) for r in rows]
