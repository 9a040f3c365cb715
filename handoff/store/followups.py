"""Follow-up requests: contact details a visitor leaves for staff, and who first viewed them."""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

from handoff.store.database import now_iso, one_row, row_or_none

FIELDS = (
    "id",
    "name",
    "email",
    "phone",
    "message",
    "conversation_id",
    "created_at",
    "viewed_at",
    "viewed_by",
    "reply_text",
    "reply_via",
    "replied_at",
    "replied_by",
)
Viewed = Literal["new", "viewed", "all"]
# Fixed fragments chosen by the caller's filter, never text from a request.
_VIEWED_CONDITION: dict[Viewed, str] = {
    "new": "AND viewed_at IS NULL",
    "viewed": "AND viewed_at IS NOT NULL",
    "all": "",
}


def followup_json(row: sqlite3.Row) -> dict[str, Any]:
    """The API's follow-up object (the same in answers and in `followup` socket events)."""
    return {k: row[k] for k in FIELDS}


def insert(
    conn: sqlite3.Connection,
    tenant_id: int,
    *,
    contact_id: int | None,
    conversation_id: int | None,
    name: str,
    email: str | None,
    phone: str | None,
    message: str,
) -> dict[str, Any]:
    row = one_row(
        conn.execute(
            "INSERT INTO followups (tenant_id, contact_id, conversation_id, name, email, phone, message, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (tenant_id, contact_id, conversation_id, name, email, phone, message, now_iso()),
        )
    )
    return followup_json(row)


def page(conn: sqlite3.Connection, tenant_id: int, viewed: Viewed, limit: int) -> list[dict[str, Any]]:
    """The tenant's follow-ups, newest first."""
    rows = conn.execute(
        f"SELECT * FROM followups WHERE tenant_id = ? {_VIEWED_CONDITION[viewed]} ORDER BY id DESC LIMIT ?",
        (tenant_id, limit),
    )
    return [followup_json(r) for r in rows]


def mark_viewed(conn: sqlite3.Connection, tenant_id: int, followup_id: int, user_id: int) -> dict[str, Any] | None:
    """Record the first viewer and time (later views change nothing); None when the tenant has no such one."""
    row = row_or_none(
        conn.execute(
            "UPDATE followups SET viewed_at = coalesce(viewed_at, ?), viewed_by = coalesce(viewed_by, ?)"
            " WHERE id = ? AND tenant_id = ? RETURNING *",
            (now_iso(), user_id, followup_id, tenant_id),
        )
    )
    return followup_json(row) if row else None


def get(conn: sqlite3.Connection, tenant_id: int, followup_id: int) -> dict[str, Any] | None:
    row = row_or_none(conn.execute("SELECT * FROM followups WHERE id = ? AND tenant_id = ?", (followup_id, tenant_id)))
    return followup_json(row) if row else None


def record_reply(
    conn: sqlite3.Connection, tenant_id: int, followup_id: int, user_id: int, text: str, via: str
) -> dict[str, Any] | None:
    """Keep the latest reply on the follow-up (viewing stays its own mark); None when the tenant has no such one."""
    row = row_or_none(
        conn.execute(
            "UPDATE followups SET reply_text = ?, reply_via = ?, replied_at = ?, replied_by = ?"
            " WHERE id = ? AND tenant_id = ? RETURNING *",
            (text, via, now_iso(), user_id, followup_id, tenant_id),
        )
    )
    return followup_json(row) if row else None
