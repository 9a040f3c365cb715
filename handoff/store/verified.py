"""Verified visitor identity in the database: the tenant's identity secret (sealed by the caller) and the
user id a webchat contact has proven (`contacts.verified_user_id`, unique per tenant)."""

from __future__ import annotations

import sqlite3

from handoff.store.database import row_or_none


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
