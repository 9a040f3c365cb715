"""Saved replies (canned responses) of a tenant. A taken shortcut raises `database.IntegrityError`."""

from __future__ import annotations

import sqlite3
from typing import Any

from handoff.store.database import now_iso, one_row, row_or_none

COLUMNS = "id, shortcut, title, text, created_at, updated_at"


def reply_json(row: sqlite3.Row) -> dict[str, Any]:
    return {key: row[key] for key in ("id", "shortcut", "title", "text", "created_at", "updated_at")}


def list_replies(conn: sqlite3.Connection, tenant_id: int, q: str | None) -> list[dict[str, Any]]:
    """Ordered by shortcut; `q` matches the start of the shortcut or any part of the title or text."""
    sql = f"SELECT {COLUMNS} FROM canned_responses WHERE tenant_id = ?"
    args: list[Any] = [tenant_id]
    if q:
        like = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        sql += (
            " AND (shortcut LIKE ? ESCAPE '\\' OR lower(coalesce(title, '')) LIKE ? ESCAPE '\\'"
            " OR lower(text) LIKE ? ESCAPE '\\')"
        )
        args += [like + "%", f"%{like}%", f"%{like}%"]
    return [reply_json(r) for r in conn.execute(sql + " ORDER BY shortcut LIMIT 200", args)]


def get_reply(conn: sqlite3.Connection, tenant_id: int, reply_id: int) -> dict[str, Any] | None:
    row = row_or_none(
        conn.execute(f"SELECT {COLUMNS} FROM canned_responses WHERE id = ? AND tenant_id = ?", (reply_id, tenant_id))
    )
    return reply_json(row) if row else None


def insert_reply(
    conn: sqlite3.Connection, tenant_id: int, shortcut: str, title: str | None, text: str
) -> dict[str, Any]:
    now = now_iso()
    return reply_json(
        one_row(
            conn.execute(
                "INSERT INTO canned_responses (tenant_id, shortcut, title, text, created_at, updated_at)"
                f" VALUES (?, ?, ?, ?, ?, ?) RETURNING {COLUMNS}",
                (tenant_id, shortcut, title, text, now, now),
            )
        )
    )


def update_reply(
    conn: sqlite3.Connection, tenant_id: int, reply_id: int, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """Apply `changes` (shortcut, title, text: names from the route's model, never from the client)."""
    sets = ", ".join(f"{column} = ?" for column in changes)
    row = row_or_none(
        conn.execute(
            f"UPDATE canned_responses SET {sets}, updated_at = ? WHERE id = ? AND tenant_id = ? RETURNING {COLUMNS}",
            (*changes.values(), now_iso(), reply_id, tenant_id),
        )
    )
    return reply_json(row) if row else None


def delete_reply(conn: sqlite3.Connection, tenant_id: int, reply_id: int) -> bool:
    cursor = conn.execute("DELETE FROM canned_responses WHERE id = ? AND tenant_id = ?", (reply_id, tenant_id))
    return cursor.rowcount > 0


def render_values(conn: sqlite3.Connection, tenant_id: int, conversation_id: int) -> dict[str, str | None] | None:
    """The contact's name, email and phone and the tenant's name for a conversation of this tenant."""
    row = row_or_none(
        conn.execute(
            "SELECT ct.name, ct.email, ct.phone, t.name AS tenant_name FROM conversations c"
            " JOIN contacts ct ON ct.id = c.contact_id JOIN tenants t ON t.id = c.tenant_id"
            " WHERE c.id = ? AND c.tenant_id = ?",
            (conversation_id, tenant_id),
        )
    )
    if row is None:
        return None
    return {"name": row["name"], "email": row["email"], "phone": row["phone"], "tenant_name": row["tenant_name"]}
