"""Staff accounts: the users table (password hashes never leave this module's callers in JSON)."""

from __future__ import annotations

import sqlite3
from typing import Any

from handoff.store.database import now_iso, one_row

USER_COLUMNS = (
    "id, tenant_id, email, name, role, disabled, created_at, last_login_at, availability, max_open, mfa_enabled"
)


def user_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "tenant_id": row["tenant_id"],
        "email": row["email"],
        "name": row["name"],
        "role": row["role"],
        "disabled": bool(row["disabled"]),
        "created_at": row["created_at"],
        "last_login_at": row["last_login_at"],
        "availability": row["availability"],
        "max_open": row["max_open"],
        "mfa_enabled": bool(row["mfa_enabled"]),
    }


def insert_user(conn: sqlite3.Connection, tenant_id: int, email: str, name: str, password_hash: str, role: str) -> int:
    """Create a user; a taken email raises `database.IntegrityError` for the caller to answer."""
    cursor = conn.execute(
        "INSERT INTO users (tenant_id, email, name, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?)"
        " RETURNING id",
        (tenant_id, email.strip().lower(), name.strip(), password_hash, role, now_iso()),
    )
    return int(one_row(cursor)[0])


def get_user(conn: sqlite3.Connection, tenant_id: int, user_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        f"SELECT {USER_COLUMNS} FROM users WHERE id = ? AND tenant_id = ?", (user_id, tenant_id)
    ).fetchone()
    return user_json(row) if row else None


def any_user(conn: sqlite3.Connection) -> bool:
    """Whether the server has any account yet (the first start creates an admin)."""
    return conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None


def list_users(conn: sqlite3.Connection, tenant_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(f"SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ? ORDER BY id", (tenant_id,))
    return [user_json(r) for r in rows]


def update_user(conn: sqlite3.Connection, tenant_id: int, user_id: int, changes: dict[str, Any]) -> bool:
    """Apply column changes (keys are trusted column names from the caller's model); False when no such
    user exists in the tenant."""
    assignments = ", ".join(f"{column} = ?" for column in changes)
    cursor = conn.execute(
        f"UPDATE users SET {assignments} WHERE id = ? AND tenant_id = ?", (*changes.values(), user_id, tenant_id)
    )
    return cursor.rowcount > 0


def active_team(conn: sqlite3.Connection, tenant_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, name, role, availability, max_open FROM users WHERE tenant_id = ? AND disabled = 0 ORDER BY name",
        (tenant_id,),
    )
    return [dict(r) for r in rows]


def is_active_user(conn: sqlite3.Connection, tenant_id: int, user_id: int) -> bool:
    """Whether `user_id` is an enabled user of this tenant (who may be assigned conversations)."""
    return (
        conn.execute(
            "SELECT 1 FROM users WHERE id = ? AND tenant_id = ? AND disabled = 0", (user_id, tenant_id)
        ).fetchone()
        is not None
    )
