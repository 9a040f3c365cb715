"""Contacts as people. A `contacts` row is one channel identity (a visitor id, phone number or PSID) and its
conversations keep replying to that address; merged identities share `person_id`, the id of the contact that
stands for the person (its name, email, phone and note are the person's). An unmerged contact has
person_id NULL and is a person of one identity."""

from __future__ import annotations

import sqlite3
from typing import Any

from handoff.store.database import row_or_none
from handoff.store.locks import for_update

PERSON_COLUMNS = (
    "id, channel, external_id, name, email, phone, note, opted_out, created_at, last_seen_at, verified_user_id"
)
CONVERSATION_LIMIT = 200
EDITABLE = ("name", "email", "phone", "note")


def person_of(contact: sqlite3.Row) -> int:
    return int(contact["person_id"] or contact["id"])


# What storing a message reads of the conversation it goes into (`insert_message`, `receive`): a third of the
# columns, and each column the `sqlite3` module turns into a Python object costs on the hot path.
MESSAGE_TARGET = "id, tenant_id, contact_id, channel, snoozed_until, last_message_id, awaiting_since"


def open_conversation_for(conn: sqlite3.Connection, contact: sqlite3.Row, columns: str = "*") -> sqlite3.Row | None:
    """The open conversation a message from `contact` belongs in: its own for an unmerged contact (the
    one-statement hot path as before), else the person's, on whichever identity it is open. `columns`
    (MESSAGE_TARGET on the hot path) narrows an unmerged contact's row; a person's comes whole."""
    if contact["person_id"] is None:
        sql = f"SELECT {columns} FROM conversations WHERE contact_id = ? AND status = 'open'"
        return row_or_none(conn.execute(sql, (contact["id"],)))
    return row_or_none(
        conn.execute(
            "SELECT c.* FROM conversations c JOIN contacts ct ON ct.id = c.contact_id"
            " WHERE ct.person_id = ? AND c.status = 'open' ORDER BY c.last_message_at DESC, c.id DESC LIMIT 1",
            (contact["person_id"],),
        )
    )


def person_id(conn: sqlite3.Connection, contact_id: int) -> int | None:
    """The person a contact belongs to once merged, else None."""
    row = conn.execute("SELECT person_id FROM contacts WHERE id = ?", (contact_id,)).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def web_visitors(conn: sqlite3.Connection, person_id: int) -> list[str]:
    """The visitor ids of a merged person's web identities: each widget shows the person's thread."""
    rows = conn.execute(
        "SELECT external_id FROM contacts WHERE person_id = ? AND channel = 'webchat' ORDER BY id", (person_id,)
    )
    return [str(r["external_id"]) for r in rows]


def thread_for_visitor(conn: sqlite3.Connection, contact: sqlite3.Row) -> sqlite3.Row | None:
    """What a visitor's widget shows: the person's open thread (on whichever identity), else its own latest."""
    found = open_conversation_for(conn, contact)
    if found is None:
        found = row_or_none(
            conn.execute("SELECT * FROM conversations WHERE contact_id = ? ORDER BY id DESC LIMIT 1", (contact["id"],))
        )
    return found


def identity_ids(conn: sqlite3.Connection, person_id: int) -> list[int]:
    rows = conn.execute("SELECT id FROM contacts WHERE id = ? OR person_id = ? ORDER BY id", (person_id, person_id))
    return [int(r["id"]) for r in rows]


def _person_json(row: sqlite3.Row) -> dict[str, Any]:
    data = {key: row[key] for key in PERSON_COLUMNS.split(", ")}
    data["opted_out"] = bool(data["opted_out"])
    data["verified"] = data["verified_user_id"] is not None
    return data


def list_people(
    conn: sqlite3.Connection, tenant_id: int, q: str | None, limit: int, before: int | None
) -> list[dict[str, Any]]:
    """Newest first (keyset on id); `q` matches part of the name, email, phone or any identity's address."""
    where = ["p.tenant_id = ?", "(p.person_id IS NULL OR p.person_id = p.id)"]
    args: list[Any] = [tenant_id]
    if before is not None:
        where.append("p.id < ?")
        args.append(before)
    if q:
        like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        fields = " OR ".join(f"lower(coalesce(i.{f}, '')) LIKE ? ESCAPE '\\'" for f in ("name", "email", "phone"))
        where.append(
            "EXISTS (SELECT 1 FROM contacts i WHERE (i.id = p.id OR i.person_id = p.id)"
            f" AND ({fields} OR lower(i.external_id) LIKE ? ESCAPE '\\'))"
        )
        args += [like] * 4
    sql = f"SELECT {', '.join('p.' + c for c in PERSON_COLUMNS.split(', '))} FROM contacts p"
    rows = conn.execute(f"{sql} WHERE {' AND '.join(where)} ORDER BY p.id DESC LIMIT ?", (*args, limit))
    return [_person_json(r) for r in rows]


def person_row(conn: sqlite3.Connection, tenant_id: int, contact_id: int, *, lock: bool = False) -> sqlite3.Row | None:
    """A contact that stands for a person (not an identity merged into another) in this tenant."""
    sql = "SELECT * FROM contacts WHERE id = ? AND tenant_id = ? AND (person_id IS NULL OR person_id = id)"
    return row_or_none(conn.execute(sql + (for_update(conn) if lock else ""), (contact_id, tenant_id)))


def get_person(conn: sqlite3.Connection, tenant_id: int, contact_id: int) -> dict[str, Any] | None:
    """The person with their identities and conversations on every channel (newest first)."""
    row = person_row(conn, tenant_id, contact_id)
    if row is None:
        return None
    person = _person_json(row)
    identities = conn.execute(
        "SELECT id, channel, external_id, name, opted_out FROM contacts WHERE id = ? OR person_id = ? ORDER BY id",
        (contact_id, contact_id),
    )
    person["identities"] = [
        {"id": i["id"], "channel": i["channel"], "external_id": i["external_id"], "opted_out": bool(i["opted_out"])}
        for i in identities
    ]
    conversations = conn.execute(
        "SELECT c.id, c.channel, c.status, c.created_at, c.last_message_at, c.contact_id,"
        " (SELECT m.text FROM messages m WHERE m.id = c.last_message_id) AS last_text"
        " FROM conversations c JOIN contacts ct ON ct.id = c.contact_id"
        " WHERE (ct.id = ? OR ct.person_id = ?) AND c.tenant_id = ? ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?",
        (contact_id, contact_id, tenant_id, CONVERSATION_LIMIT),
    )
    person["conversations"] = [dict(zip(c.keys(), tuple(c), strict=True)) for c in conversations]
    return person


def update_person(conn: sqlite3.Connection, contact_id: int, changes: dict[str, str | None]) -> None:
    sets = ", ".join(f"{key} = ?" for key in changes if key in EDITABLE)
    conn.execute(f"UPDATE contacts SET {sets} WHERE id = ?", (*changes.values(), contact_id))


def lock_pair(conn: sqlite3.Connection, tenant_id: int, first: int, second: int) -> dict[int, sqlite3.Row | None]:
    """Both people, locked in id order (two merges of the same pair wait, never deadlock)."""
    found: dict[int, sqlite3.Row | None] = {}
    for contact_id in sorted((first, second)):
        found[contact_id] = person_row(conn, tenant_id, contact_id, lock=True)
    return found


def open_conversations_of(conn: sqlite3.Connection, person_id: int) -> list[sqlite3.Row]:
    return list(
        conn.execute(
            "SELECT c.* FROM conversations c JOIN contacts ct ON ct.id = c.contact_id"
            " WHERE (ct.id = ? OR ct.person_id = ?) AND c.status = 'open'" + for_update(conn),
            (person_id, person_id),
        )
    )


def conversation_ids_of(conn: sqlite3.Connection, person_id: int) -> list[int]:
    rows = conn.execute(
        "SELECT c.id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id WHERE ct.id = ? OR ct.person_id = ?",
        (person_id, person_id),
    )
    return [int(r["id"]) for r in rows]


def join(conn: sqlite3.Connection, keep: sqlite3.Row, other: sqlite3.Row) -> None:
    """Make `other` (and every identity merged into it) identities of `keep`'s person; details `keep` lacks
    are taken from `other`, notes are kept from both."""
    conn.execute(
        "UPDATE contacts SET person_id = ? WHERE id = ? OR id = ? OR person_id = ?",
        (keep["id"], keep["id"], other["id"], other["id"]),
    )
    note = "\n\n".join(n for n in (keep["note"], other["note"]) if n) or None
    conn.execute(
        "UPDATE contacts SET name = coalesce(name, ?), email = coalesce(email, ?), phone = coalesce(phone, ?),"
        " note = ?, last_seen_at = ? WHERE id = ?",
        (
            other["name"],
            other["email"],
            other["phone"],
            note,
            max(keep["last_seen_at"], other["last_seen_at"]),
            keep["id"],
        ),
    )


SEEN_CHUNK = 500  # visitor ids per write: a short statement, well under every database's parameter limit


def mark_visitors_seen(conn: sqlite3.Connection, tenant_id: int, visitor_ids: list[str], now: str) -> int:
    """Web visitors of the tenant with a socket open (at most SEEN_CHUNK): seen now, which the away-visitor
    email reads. Returns how many contacts were marked."""
    marks = ", ".join("?" * len(visitor_ids))
    return conn.execute(
        f"UPDATE contacts SET last_seen_at = ? WHERE tenant_id = ? AND channel = 'webchat' AND external_id IN ({marks})",
        (now, tenant_id, *visitor_ids),
    ).rowcount
