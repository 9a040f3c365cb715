"""Verified visitor identity in the database: the tenant's identity secret (sealed by the caller) and the
user id a webchat contact has proven (`contacts.verified_user_id`, unique per tenant)."""

from __future__ import annotations

import sqlite3

from handoff.store.database import row_or_none
from handoff.store.locks import for_update


def identity_secret(conn: sqlite3.Connection, tenant_id: int) -> str | None:
    row = row_or_none(conn.execute("SELECT identity_secret FROM tenants WHERE id = ?", (tenant_id,)))
    return row["identity_secret"] if row else None


def set_identity_secret(conn: sqlite3.Connection, tenant_id: int, sealed: str, *, only_if_unset: bool = False) -> bool:
    """Store a sealed secret; with `only_if_unset`, only when there is none (two first reads: one secret wins)."""
    sql = "UPDATE tenants SET identity_secret = ? WHERE id = ?" + (
        " AND identity_secret IS NULL" if only_if_unset else ""
    )
    return row_or_none(conn.execute(sql + " RETURNING id", (sealed, tenant_id))) is not None


def mark_verified(conn: sqlite3.Connection, contact_id: int, user_id: str) -> None:
    conn.execute("UPDATE contacts SET verified_user_id = ? WHERE id = ?", (user_id, contact_id))


def is_verified(conn: sqlite3.Connection, tenant_id: int, visitor_id: str) -> bool:
    row = row_or_none(
        conn.execute(
            "SELECT verified_user_id FROM contacts WHERE tenant_id = ? AND channel = 'webchat' AND external_id = ?",
            (tenant_id, visitor_id),
        )
    )
    return bool(row and row["verified_user_id"])


def adopt_anonymous(
    conn: sqlite3.Connection, tenant_id: int, keep: sqlite3.Row, visitor_id: str
) -> tuple[int, list[int]] | None:
    """Make the anonymous webchat contact `visitor_id` an identity of the verified contact `keep` and move its
    conversations there (replies then reach the verified visitor): (its id, the moved conversation ids). None,
    changing nothing, when it is verified itself, already part of a person, or both have an open conversation."""
    other = row_or_none(
        conn.execute(
            "SELECT * FROM contacts WHERE tenant_id = ? AND channel = 'webchat' AND external_id = ?" + for_update(conn),
            (tenant_id, visitor_id),
        )
    )
    if other is None or other["verified_user_id"] or other["person_id"] is not None or other["id"] == keep["id"]:
        return None
    open_ids = [
        r["contact_id"]
        for r in conn.execute(
            "SELECT contact_id FROM conversations WHERE contact_id IN (?, ?) AND status = 'open'",
            (keep["id"], other["id"]),
        )
    ]
    if len(open_ids) == 2:
        return None
    moved = [
        int(r["id"])
        for r in conn.execute(
            "UPDATE conversations SET contact_id = ? WHERE contact_id = ? RETURNING id", (keep["id"], other["id"])
        )
    ]
    person = keep["person_id"] or keep["id"]
    conn.execute("UPDATE contacts SET person_id = ? WHERE id = ? OR id = ?", (person, person, other["id"]))
    return int(other["id"]), moved
