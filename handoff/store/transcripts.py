"""A conversation as its customer saw it, for emailing: every message but the team's private notes."""

from __future__ import annotations

import sqlite3
from typing import Any

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
