"""The staff inbox's reads: filtered conversation pages and a conversation's messages."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from handoff.store.backend import dialect
from handoff.store.objects import CONVERSATION_SELECT, MESSAGE_SELECT, conversations_json, message_json
from handoff.store.tags import has_tag_sql


@dataclass(frozen=True)
class InboxFilter:
    statuses: tuple[str, ...]  # any of "open" (not snoozed), "snoozed", "closed"
    channel: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    tag: str | None = None
    contact_text: str | None = None  # the contact's name, email and phone; the messages of open conversations
    before: tuple[str, int] | None = None  # (last_message_at, id) of the previous page's last row


# A snoozed conversation is stored open (with snoozed_until set): the open and snoozed views split the open ones.
# "open or snoozed" (the `all` view) reads the open index once instead of once per state.
STATE_SQL = {
    "open": "c.status = 'open' AND c.snoozed_until IS NULL",
    "snoozed": "c.status = 'open' AND c.snoozed_until IS NOT NULL",
    "open_or_snoozed": "c.status = 'open'",
    "closed": "c.status = 'closed'",
}
# Snoozed conversations are few: SQLite reads them from their partial index and sorts them, rather than walk
# every open conversation of the tenant in the open index to find none (PostgreSQL's planner chooses itself).
SNOOZED_SELECT = CONVERSATION_SELECT.replace(
    "FROM conversations c ", "FROM conversations c INDEXED BY conversations_snoozed ", 1
)
WORD = re.compile(r"\w+")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _message_match(conn: sqlite3.Connection, text: str) -> tuple[str, list[Any]] | None:
    """A condition on `m.text` for the search words (all of them, as word prefixes on PostgreSQL), or None
    when the text has no word.

    Only open conversations' messages are searched (closed ones are in History's full-text index), so there
    is no index on message text at all and storing a message costs what it did: the candidates are the
    tenant's open conversations, each read through messages_conversation. PostgreSQL matches with its text
    search (to_tsvector/to_tsquery, 'simple' configuration: no stemming of names and codes); SQLite with
    LIKE, case-insensitive for ASCII."""
    words = WORD.findall(text)[:8]
    if not words:
        return None
    if dialect(conn) == "postgresql":
        query = " & ".join(f"{w}:*" for w in words)
        return "to_tsvector('simple', m.text) @@ to_tsquery('simple', ?)", [query]
    return " AND ".join("m.text LIKE ? ESCAPE '\\'" for _ in words), [f"%{_escape_like(w)}%" for w in words]


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
    if wanted.tag:
        where.append(has_tag_sql(conn))
        params.append(wanted.tag)
    if wanted.contact_text:
        like = "%" + _escape_like(wanted.contact_text) + "%"
        like_op = "ILIKE" if dialect(conn) == "postgresql" else "LIKE"  # SQLite's LIKE ignores case already
        found = [f"ct.{field} {like_op} ? ESCAPE '\\'" for field in ("name", "email", "phone")]
        params += [like, like, like]
        if (text_match := _message_match(conn, wanted.contact_text)) is not None:
            sql, args = text_match
            found.append(
                f"(c.status = 'open' AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND {sql}))"
            )
            params += args
        where.append("(" + " OR ".join(found) + ")")
    if wanted.before:
        where.append("(c.last_message_at, c.id) < (?, ?)")
        params += list(wanted.before)
    # The status is spelled out (not bound) so SQLite can use the partial index of open or closed ones;
    # several statuses merge one page of each, which keeps the per-message index work to a single index.
    statuses = (
        ("open_or_snoozed", "closed") if set(wanted.statuses) == {"open", "snoozed", "closed"} else wanted.statuses
    )
    sqlite = dialect(conn) != "postgresql"
    rows = [
        row
        for state in statuses
        for row in conn.execute(
            f"{SNOOZED_SELECT if state == 'snoozed' and sqlite else CONVERSATION_SELECT}"
            f" WHERE {STATE_SQL[state]} AND {' AND '.join(where)}"
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
