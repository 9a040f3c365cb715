"""SQL for conversations and messages: synchronous functions run inside `Database.write`/`read` jobs.

This is the single place that stores a message (`insert_message`); the message, contact and conversation
objects the contract shows are built in `objects`. The same functions run on SQLite and on PostgreSQL
(through `pg_adapter.PgConnection`); where the two spell a statement differently, the statement comes in
both spellings, chosen by `dialect(conn)`.
"""

from __future__ import annotations

import json
import sqlite3
from functools import partial
from typing import Any, NamedTuple

from handoff.store import webhook_queue
from handoff.store.backend import dialect
from handoff.store.database import now_iso, one_row, row_or_none
from handoff.store.locks import for_update

# The contract's objects are built in `objects`; they are reached through this module too, as before.
from handoff.store.objects import CONVERSATION_SELECT as CONVERSATION_SELECT
from handoff.store.objects import MESSAGE_SELECT as MESSAGE_SELECT
from handoff.store.objects import contact_json as contact_json
from handoff.store.objects import conversation_json as conversation_json
from handoff.store.objects import conversation_of as conversation_of
from handoff.store.objects import conversations_json as conversations_json
from handoff.store.objects import load_conversation as load_conversation
from handoff.store.objects import load_message as load_message
from handoff.store.objects import message_json as message_json

# insert_message's statements. PostgreSQL has no lastrowid (the id comes back with RETURNING, which costs
# SQLite ~2 us per insert, so SQLite keeps lastrowid), no scalar max() and no julianday(); each pair below
# is indexed by `postgres` (False, True).
INSERT_MESSAGE = (
    "INSERT INTO messages (tenant_id, conversation_id, channel, sender, author_id, text, attachments,"
    " external_id, client_id, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
ONCE = " ON CONFLICT (tenant_id, channel, external_id) WHERE external_id IS NOT NULL DO NOTHING"
INSERT_STATEMENTS = (  # [once][postgres]; `once`: a resend's external id is already stored, insert nothing
    (INSERT_MESSAGE, INSERT_MESSAGE + " RETURNING id"),
    (INSERT_MESSAGE + ONCE, INSERT_MESSAGE + ONCE + " RETURNING id"),
)
STAFF_REPLY = tuple(
    "UPDATE conversations SET last_message_at = ?, last_message_id = ?, awaiting_since = NULL, escalated = 0,"
    f" staff_read_message_id = {greatest}(staff_read_message_id, ?), unread_count = 0 WHERE id = ? RETURNING *"
    for greatest in ("max", "GREATEST")
)
FIRST_RESPONSE = tuple(
    f"UPDATE conversation_metrics SET first_response_at = ?, first_responder_id = ?, first_response_seconds = {seconds}"
    " WHERE conversation_id = ? AND first_response_at IS NULL"
    for seconds in (
        "round((julianday(?) - julianday(started_at)) * 86400, 3)",
        "round(extract(epoch FROM CAST(? AS timestamptz) - CAST(started_at AS timestamptz)), 3)",
    )
)


# The hot path reads only the columns it uses, as the `sqlite3` module makes a Python object of each column a
# statement returns. SENDER: what storing a message and its staff event read of the contact it comes from.
# SHOWN: what a customer message's UPDATE returns, that is what `conversation_of` shows and what storing the
# next message reads (`insert_message`, `receive`).
SENDER = "id, tenant_id, channel, external_id, name, email, phone, opted_out, person_id, verified_user_id"
SHOWN = (
    "id, tenant_id, contact_id, channel, status, snoozed_until, escalated, tags, assignee_id, unread_count,"
    " visitor_read_message_id, staff_read_message_id, created_at, last_message_at, closed_at, last_message_id,"
    " awaiting_since"
)


def contact_for_message(
    conn: sqlite3.Connection,
    tenant_id: int,
    channel: str,
    external_id: str,
    *,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> sqlite3.Row:
    """The contact a message comes from; written only when it is new or its details changed (hot path: only
    the columns a message and its staff event use)."""
    row = row_or_none(
        conn.execute(
            f"SELECT {SENDER} FROM contacts WHERE tenant_id = ? AND channel = ? AND external_id = ?",
            (tenant_id, channel, external_id),
        )
    )
    given = (("name", name), ("email", email), ("phone", phone))
    if row is not None and all(value is None or value == row[key] for key, value in given):
        return row
    return upsert_contact(conn, tenant_id, channel, external_id, name=name, email=email, phone=phone)


def upsert_contact(
    conn: sqlite3.Connection,
    tenant_id: int,
    channel: str,
    external_id: str,
    *,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> sqlite3.Row:
    """Find or create the contact; given name/email/phone update it, absent ones keep what is stored."""
    now = now_iso()
    return one_row(
        conn.execute(
            "INSERT INTO contacts (tenant_id, channel, external_id, name, email, phone, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, channel, external_id) DO UPDATE SET"
            " name = coalesce(excluded.name, contacts.name), email = coalesce(excluded.email, contacts.email),"
            " phone = coalesce(excluded.phone, contacts.phone), last_seen_at = excluded.last_seen_at RETURNING *",
            (tenant_id, channel, external_id, name, email, phone, now, now),
        )
    )


def find_contact(conn: sqlite3.Connection, tenant_id: int, channel: str, external_id: str) -> sqlite3.Row | None:
    return row_or_none(
        conn.execute(
            "SELECT * FROM contacts WHERE tenant_id = ? AND channel = ? AND external_id = ?",
            (tenant_id, channel, external_id),
        )
    )


def contact_by_id(conn: sqlite3.Connection, contact_id: int) -> sqlite3.Row:
    """A conversation's contact (the foreign key guarantees there is one)."""
    return one_row(conn.execute("SELECT * FROM contacts WHERE id = ?", (contact_id,)))


def conversation_of_tenant(
    conn: sqlite3.Connection, tenant_id: int, conversation_id: int, *, lock: bool = False
) -> sqlite3.Row | None:
    """A conversations row; None when there is no such id in this tenant (callers answer 404). `lock`: the
    caller's write decides from it (close only what is open), so no other process may change it meanwhile."""
    sql = "SELECT * FROM conversations WHERE id = ? AND tenant_id = ?" + (for_update(conn) if lock else "")
    return row_or_none(conn.execute(sql, (conversation_id, tenant_id)))


def conversation_by_id(conn: sqlite3.Connection, conversation_id: int) -> sqlite3.Row:
    """A conversations row the caller knows exists (a stored message's conversation)."""
    return one_row(conn.execute("SELECT * FROM conversations WHERE id = ?", (conversation_id,)))


def open_conversation_of(conn: sqlite3.Connection, contact_id: int, *, lock: bool = False) -> sqlite3.Row | None:
    """The contact's open conversation, if any; `lock` as in `conversation_of_tenant`."""
    sql = "SELECT * FROM conversations WHERE contact_id = ? AND status = 'open'" + (for_update(conn) if lock else "")
    return row_or_none(conn.execute(sql, (contact_id,)))


def latest_conversation_of(conn: sqlite3.Connection, contact_id: int) -> sqlite3.Row | None:
    return row_or_none(
        conn.execute("SELECT * FROM conversations WHERE contact_id = ? ORDER BY id DESC LIMIT 1", (contact_id,))
    )


def open_conversation(conn: sqlite3.Connection, contact: sqlite3.Row) -> sqlite3.Row:
    """Start a conversation (and its metrics row) for a contact that has none open. When another process
    started one since the caller looked (its messages arrived at once), the unique index on the open
    conversation makes this insert wait for that transaction, then do nothing: its conversation is the one."""
    now = now_iso()
    row = row_or_none(
        conn.execute(
            "INSERT INTO conversations (tenant_id, contact_id, channel, created_at, last_message_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (contact_id) WHERE status = 'open' DO NOTHING RETURNING *",
            (contact["tenant_id"], contact["id"], contact["channel"], now, now),
        )
    )
    if row is None:
        return one_row(
            conn.execute("SELECT * FROM conversations WHERE contact_id = ? AND status = 'open'", (contact["id"],))
        )
    conn.execute(
        "INSERT INTO conversation_metrics (conversation_id, tenant_id, channel, started_at) VALUES (?, ?, ?, ?)",
        (row["id"], row["tenant_id"], row["channel"], now),
    )
    data = partial(_created, conn, row, contact)
    webhook_queue.queue_event(conn, row["tenant_id"], "conversation.created", data, row["id"])
    return row


def _created(conn: sqlite3.Connection, row: sqlite3.Row, contact: sqlite3.Row) -> dict[str, Any]:
    return {"conversation": conversation_of(conn, row, contact, None)}


def find_by_external_id(conn: sqlite3.Connection, tenant_id: int, channel: str, external_id: str) -> sqlite3.Row | None:
    return row_or_none(
        conn.execute(
            "SELECT * FROM messages WHERE tenant_id = ? AND channel = ? AND external_id = ?",
            (tenant_id, channel, external_id),
        )
    )


class StoredMessage(NamedTuple):
    message: dict[str, Any]  # the contract's message object
    conversation: sqlite3.Row  # the conversation row as this message left it (a customer's: SHOWN's columns)


def insert_message(
    conn: sqlite3.Connection,
    conversation: sqlite3.Row,
    sender: str,
    text: str,
    *,
    author_id: int | None = None,
    author_name: str = "",
    external_id: str | None = None,
    client_id: str | None = None,
    status: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> StoredMessage:
    """The one way a message is stored; it also moves the conversation's clocks and counters.

    Hot path: two statements for a customer message. The message object is built from what was written
    and the conversation comes back from its UPDATE, so nothing is read back.
    """
    stored = _insert(
        conn, conversation, sender, text, author_id, author_name, external_id, client_id, status, attachments
    )
    assert stored is not None  # only a `once` insert skips
    return stored


def insert_customer_message_once(
    conn: sqlite3.Connection, conversation: sqlite3.Row, text: str, *, external_id: str, client_id: str | None
) -> StoredMessage | None:
    """A customer message, unless its tenant and channel already hold one with this `external_id` (a resend):
    None then, and nothing is written. The unique index answers, so a new message costs no lookup first."""
    return _insert(conn, conversation, "visitor", text, None, "", external_id, client_id, None, None, once=True)


def _insert(
    conn: sqlite3.Connection,
    conversation: sqlite3.Row,
    sender: str,
    text: str,
    author_id: int | None,
    author_name: str,
    external_id: str | None,
    client_id: str | None,
    status: str | None,
    attachments: list[dict[str, Any]] | None,
    *,
    once: bool = False,
) -> StoredMessage | None:
    now = now_iso()
    stored_attachments = json.dumps(attachments) if attachments else None
    postgres = dialect(conn) == "postgresql"
    cursor = conn.execute(
        INSERT_STATEMENTS[once][postgres],
        (
            conversation["tenant_id"],
            conversation["id"],
            conversation["channel"],
            sender,
            author_id,
            text,
            stored_attachments,
            external_id,
            client_id,
            status,
            now,
        ),
    )
    if postgres:
        inserted = cursor.fetchone()
        if inserted is None:  # a `once` insert of a resend
            return None
        message_id = int(inserted[0])
    elif once and cursor.rowcount == 0:
        return None  # a resend: the first one is stored (lastrowid would be a stale id here)
    else:
        message_id = int(cursor.lastrowid or 0)
    if sender == "visitor":
        # awaiting_since is indexed: set it only when the customer starts waiting, not on every message.
        awaiting = ", awaiting_since = ?" if conversation["awaiting_since"] is None else ""
        updated = conn.execute(
            "UPDATE conversations SET last_message_at = ?, last_message_id = ?, last_customer_message_at = ?,"
            f" unread_count = unread_count + 1{awaiting} WHERE id = ? RETURNING {SHOWN}",
            (now, message_id, now, *((now,) if awaiting else ()), conversation["id"]),
        ).fetchone()
    elif sender == "staff":
        # A staff reply answers everything before it: clear the escalation clock and the unread count.
        updated = conn.execute(STAFF_REPLY[postgres], (now, message_id, message_id, conversation["id"])).fetchone()
        conn.execute(FIRST_RESPONSE[postgres], (now, author_id, now, conversation["id"]))
    else:
        updated = conn.execute(
            "UPDATE conversations SET last_message_at = ?, last_message_id = ? WHERE id = ? RETURNING *",
            (now, message_id, conversation["id"]),
        ).fetchone()
    written = {
        "id": message_id,
        "tenant_id": conversation["tenant_id"],
        "conversation_id": conversation["id"],
        "channel": conversation["channel"],
        "sender": sender,
        "text": text,
        "created_at": now,
        "client_id": client_id,
        "author_id": author_id,
        "author_name": author_name,
        "status": status,
        "error": None,
        "attachments": stored_attachments,
        "private": 0,
    }
    message = message_json(written)
    data = partial(_webhook, conn, message, updated)
    webhook_queue.queue_event(conn, written["tenant_id"], "message.created", data, conversation["id"])
    return StoredMessage(message, updated)


def _webhook(conn: sqlite3.Connection, message: dict[str, Any], row: sqlite3.Row) -> dict[str, Any]:
    """message.created's data, built only when an endpoint wants it (never on the plain message path)."""
    return {
        "message": message,
        "conversation": conversation_of(conn, row, contact_by_id(conn, row["contact_id"]), message),
    }


def channel_and_contact(conn: sqlite3.Connection, tenant_id: int, conversation_id: int) -> sqlite3.Row | None:
    """A conversation's channel and its contact's external id (visitor id, phone, PSID), for this tenant."""
    return row_or_none(
        conn.execute(
            "SELECT c.channel, ct.external_id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id"
            " WHERE c.id = ? AND c.tenant_id = ?",
            (conversation_id, tenant_id),
        )
    )
