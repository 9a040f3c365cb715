"""Contacts as the channels look them up: by their address on a channel (visitor id, phone number, PSID),
their SMS opt-out, and when they last wrote (Messenger's reply window). Creating and updating a contact
with a message is `store.conversations`' job (`contact_for_message`, `upsert_contact`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from handoff.store.database import row_or_none

# What SMS keywords are trimmed of before comparing: space, tab, line feed, carriage return.
KEYWORD_TRIM = " \t\n\r"


def contact_id(conn: sqlite3.Connection, tenant_id: int, channel: str, external_id: str) -> int | None:
    row = row_or_none(
        conn.execute(
            "SELECT id FROM contacts WHERE tenant_id = ? AND channel = ? AND external_id = ?",
            (tenant_id, channel, external_id),
        )
    )
    return int(row["id"]) if row else None


def open_conversation_id(conn: sqlite3.Connection, tenant_id: int, channel: str, external_id: str) -> int | None:
    """The id of the contact's open conversation, found from its address in one statement."""
    row = row_or_none(
        conn.execute(
            "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE ct.tenant_id = ?"
            " AND ct.channel = ? AND ct.external_id = ? AND c.status = 'open'",
            (tenant_id, channel, external_id),
        )
    )
    return int(row["id"]) if row else None


def last_customer_message_at(conn: sqlite3.Connection, contact_id: int) -> str | None:
    """Across all the contact's conversations: a closed one does not close Messenger's window."""
    row = row_or_none(
        conn.execute(
            "SELECT max(last_customer_message_at) AS last_at FROM conversations WHERE contact_id = ?", (contact_id,)
        )
    )
    return row["last_at"] if row else None


def opt_out_of_address(conn: sqlite3.Connection, tenant_id: int, channel: str, external_id: str) -> tuple[int, bool]:
    """(contact id, opted out) of the contact with this address (one that has just written)."""
    row = row_or_none(
        conn.execute(
            "SELECT id, opted_out FROM contacts WHERE tenant_id = ? AND channel = ? AND external_id = ?",
            (tenant_id, channel, external_id),
        )
    )
    if row is None:
        raise LookupError(f"no {channel} contact {external_id!r}")
    return int(row["id"]), bool(row["opted_out"])


def keyword_after(conn: sqlite3.Connection, contact_id: int, message_id: int, keywords: Collection[str]) -> bool:
    """Whether the contact sent one of `keywords` (upper case; any case and surrounding blanks match) in a
    message after `message_id`, in any of their conversations."""
    marks = ",".join("?" * len(keywords))
    row = row_or_none(
        conn.execute(
            "SELECT 1 FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.contact_id = ?"
            f" AND m.sender = 'visitor' AND m.id > ? AND upper(trim(m.text, ?)) IN ({marks}) LIMIT 1",
            (contact_id, message_id, KEYWORD_TRIM, *keywords),
        )
    )
    return row is not None


def set_opted_out(conn: sqlite3.Connection, contact_id: int, opted_out: bool) -> None:
    conn.execute("UPDATE contacts SET opted_out = ? WHERE id = ?", (int(opted_out), contact_id))


def opt_out(conn: sqlite3.Connection, contact_id: int) -> bool:
    """Mark the contact opted out; False when they already were."""
    changed = row_or_none(
        conn.execute("UPDATE contacts SET opted_out = 1 WHERE id = ? AND opted_out = 0 RETURNING id", (contact_id,))
    )
    return changed is not None
