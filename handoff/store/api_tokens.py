"""API tokens of a tenant: stored as SHA-256 hashes (the token is shown once, at creation), revoked by
stamping `revoked_at` (the row stays, so a revoked token is told apart from an unknown one)."""

from __future__ import annotations

import sqlite3
from typing import Any

from handoff.store.database import now_iso, one_row, row_or_none

COLUMNS = "t.id, t.name, t.role, t.prefix, t.created_at, t.expires_at, t.last_used_at, t.created_by, u.name AS creator"
SELECT = f"SELECT {COLUMNS} FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by"


def token_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "role": row["role"],
        "prefix": row["prefix"],
        "created_at": row["created_at"],
        "expires_at": row["expires_at"],
        "last_used_at": row["last_used_at"],
        "created_by": {"id": row["created_by"], "name": row["creator"]},
    }


def list_tokens(conn: sqlite3.Connection, tenant_id: int) -> list[dict[str, Any]]:
    """The tenant's tokens not revoked, newest first (expired ones too: the list says when they expired)."""
    rows = conn.execute(f"{SELECT} WHERE t.tenant_id = ? AND t.revoked_at IS NULL ORDER BY t.id DESC", (tenant_id,))
    return [token_json(row) for row in rows]


def insert_token(
    conn: sqlite3.Connection,
    tenant_id: int,
    created_by: int,
    name: str,
    role: str,
    token_hash: str,
    prefix: str,
    expires_at: str | None,
) -> dict[str, Any]:
    token_id = int(
        one_row(
            conn.execute(
                "INSERT INTO api_tokens (tenant_id, created_by, name, role, token_hash, prefix, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (tenant_id, created_by, name, role, token_hash, prefix, now_iso(), expires_at),
            )
        )[0]
    )
    return token_json(one_row(conn.execute(f"{SELECT} WHERE t.id = ?", (token_id,))))


def revoke(conn: sqlite3.Connection, tenant_id: int, token_id: int) -> dict[str, Any] | None:
    """Revoke a live token of this tenant; None when there is none (another tenant's, or already revoked)."""
    row = row_or_none(
        conn.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL"
            " RETURNING id, name",
            (now_iso(), token_id, tenant_id),
        )
    )
    return {"id": row["id"], "name": row["name"]} if row else None


def by_hash(conn: sqlite3.Connection, token_hash: str) -> sqlite3.Row | None:
    """The token with its creator (whose identity it acts under): the creator's role and state decide too."""
    return row_or_none(
        conn.execute(
            "SELECT t.id, t.tenant_id, t.role, t.expires_at, t.revoked_at, t.last_used_at, u.id AS user_id,"
            " u.email, u.name, u.role AS user_role, u.disabled FROM api_tokens t JOIN users u ON u.id = t.created_by"
            " WHERE t.token_hash = ?",
            (token_hash,),
        )
    )


def touch(conn: sqlite3.Connection, token_id: int, now: str, older_than: str) -> None:
    """Record use, at most once per period (the condition keeps concurrent requests to one write's effect)."""
    conn.execute(
        "UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
        (now, token_id, older_than),
    )
