"""What closing a conversation records besides its status: the message counts of its metrics, and its copy
in the full-text index History searches (removed again when it reopens)."""

from __future__ import annotations

import sqlite3


def message_counts(conn: sqlite3.Connection, conversation_id: int) -> tuple[int, int]:
    """(customer, staff) messages, notes aside: counted when needed, not kept up on every message."""
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE sender = 'visitor'), count(*) FILTER (WHERE sender = 'staff')"
        " FROM messages WHERE conversation_id = ? AND private = 0",
        (conversation_id,),
    ).fetchone()
    return int(row[0]), int(row[1])


def index_for_search(conn: sqlite3.Connection, conversation_id: int) -> None:
    """Put a closed conversation's transcript into the full-text index (replacing an older copy)."""
    row = conn.execute(
        "SELECT c.tenant_id, ct.name, ct.email, ct.phone FROM conversations c JOIN contacts ct ON ct.id = c.contact_id"
        " WHERE c.id = ?",
        (conversation_id,),
    ).fetchone()
    texts = [
        r[0]
        for r in conn.execute("SELECT text FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,))
    ]
    header = " ".join(v for v in (row["name"], row["email"], row["phone"]) if v)
    unindex(conn, conversation_id)
    conn.execute(
        "INSERT INTO search_index (rowid, body, kind, ref_id, tenant_id) VALUES (?, ?, 'conversation', ?, ?)",
        (2 * conversation_id, header + "\n" + "\n".join(texts), conversation_id, row["tenant_id"]),
    )


def unindex(conn: sqlite3.Connection, conversation_id: int) -> None:
    conn.execute("DELETE FROM search_index WHERE rowid = ?", (2 * conversation_id,))
