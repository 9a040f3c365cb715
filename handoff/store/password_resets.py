"""One-time password-reset links: a row per request; the link itself is an HMAC of the row id and its nonce
made by the caller, so this table alone cannot reset anyone's password."""

from __future__ import annotations

import sqlite3

from handoff.store.database import now_iso, one_row, row_or_none


def create(conn: sqlite3.Connection, user_id: int, nonce: str, expires_at: str) -> int:
    row = one_row(
        conn.execute(
            "INSERT INTO password_resets (user_id, nonce, created_at, expires_at) VALUES (?, ?, ?, ?) RETURNING id",
            (user_id, nonce, now_iso(), expires_at),
        )
    )
    return int(row["id"])


def nonce_of(conn: sqlite3.Connection, reset_id: int) -> str | None:
    row = row_or_none(conn.execute("SELECT nonce FROM password_resets WHERE id = ?", (reset_id,)))
    return str(row["nonce"]) if row else None


def use(conn: sqlite3.Connection, reset_id: int, nonce: str, now: str) -> int | None:
    """Spend the link: the user id when it was unused and unexpired, else None. One statement, so a link
    presented twice at once works once."""
    row = row_or_none(
        conn.execute(
            "UPDATE password_resets SET used_at = ? WHERE id = ? AND nonce = ? AND used_at IS NULL AND expires_at > ?"
            " RETURNING user_id",
            (now, reset_id, nonce, now),
        )
    )
    return int(row["user_id"]) if row else None
