"""The staff inbox's reads: filtered conversation pages and a conversation's messages."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from handoff.store.backend import dialect
from handoff.store.conversations import CONVERSATION_SELECT, MESSAGE_SELECT, conversations_json, message_json


@dataclass(frozen=True)
class InboxFilter:
    statuses: tuple[str, ...]  # ("open",), ("closed",) or both
    channel: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    contact_text: str | None = None  # matched against the contact's name, email and phone
    before: tuple[str, int] | None = None  # (last_message_at, id) of the previous page's last row


def conversation_page(
    conn: sqlite3.Connection, tenant_id: int, wanted: InboxFilter, limit: int
) -> list[dict[str, Any]]:
    """Conversations, most recent activity first (keyset pagination on last_message_at, id)."""
    where: list[str] = ["c.tenant_id = ?"]
    params: list[Any] = [tenant_id]
    if wanted.channel:
        where.append("c.channel = ?")
        params.append(wanted.channel)
    if wanted.unassigned:
        where.append("c.assignee_id IS NULL")
    elif wanted.assignee_id is not None:
        where.append("c.assignee_id = ?")
        params.append(wanted.assignee_id)
    if wanted.contact_text:
        like = "%" + wanted.contact_text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        like_op = "ILIKE" if dialect(conn) == "postgresql" else "LIKE"  # SQLite's LIKE ignores case already
        where.append(
            f"(ct.name {like_op} ? ESCAPE '\\' OR ct.email {like_op} ? ESCAPE '\\' OR ct.phone {like_op} ? ESCAPE '\\')"
        )
        params += [like, like, like]
    if wanted.before:
        where.append("(c.last_message_at, c.id) < (?, ?)")
        params += list(wanted.before)
    # The status is spelled out (not bound) so SQLite can use the partial index of open or closed ones;
    # both statuses merge one page of each, which keeps the per-message index work to a single index.
    rows = [
        row
        for state in wanted.statuses
        for row in conn.execute(
            f"{CONVERSATION_SELECT} WHERE c.status = '{state}' AND {' AND '.join(where)}"
            " ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?",
            (*params, limit),
        )
    ]
    rows.sort(key=lambda r: (r["last_message_at"], r["id"]), reverse=True)
    return conversations_json(conn, rows[:limit])


def message_page(
    conn: sqlite3.Connection, tenant_id: int, conversation_id: int, *, after: int | None, before: int | None, limit: int
) -> list[dict[str, Any]] | None:
    """Messages oldest first: after an id (catch-up), before an id (older page), or the latest page; None
    when the conversation is not this tenant's."""
    owner = conn.execute("SELECT 1 FROM conversations WHERE id = ? AND tenant_id = ?", (conversation_id, tenant_id))
    if owner.fetchone() is None:
        return None
    if after is not None:
        sql, args = "m.id > ? ORDER BY m.id", [after]
    else:
        sql, args = "m.id < ? ORDER BY m.id DESC", [before or 2**62]
    rows = conn.execute(
        f"{MESSAGE_SELECT} WHERE m.conversation_id = ? AND {sql} LIMIT ?", (conversation_id, *args, limit)
    ).fetchall()
    messages = [message_json(r) for r in rows]
    return messages if after is not None else messages[::-1]
