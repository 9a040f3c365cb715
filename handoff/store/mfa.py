"""Two-factor sign-in state of `users` (the sealed TOTP secret, whether it is on, the last time step used)
and `mfa_recovery_codes` (hashed, each usable once). The caller seals and hashes; nothing here sees a code."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from handoff.store.database import now_iso, row_or_none


@dataclass(frozen=True)
class MfaState:
    secret: str | None  # sealed; set by setup, only trusted once enabled
    enabled: bool
    last_step: int
    recovery_left: int


def state(conn: sqlite3.Connection, user_id: int) -> MfaState:
    row = row_or_none(
        conn.execute(
            "SELECT mfa_secret, mfa_enabled, mfa_last_step,"
            " (SELECT count(*) FROM mfa_recovery_codes r WHERE r.user_id = users.id AND r.used_at IS NULL) AS left_"
            " FROM users WHERE id = ?",
            (user_id,),
        )
    )
    if row is None:
        return MfaState(None, False, 0, 0)
    return MfaState(row["mfa_secret"], bool(row["mfa_enabled"]), int(row["mfa_last_step"]), int(row["left_"]))


def set_pending_secret(conn: sqlite3.Connection, user_id: int, sealed: str) -> bool:
    """Store a new secret for a user who has not enabled 2FA yet; False when it is already on."""
    changed = row_or_none(
        conn.execute(
            "UPDATE users SET mfa_secret = ?, mfa_last_step = 0 WHERE id = ? AND mfa_enabled = 0 RETURNING id",
            (sealed, user_id),
        )
    )
    return changed is not None


def use_step(conn: sqlite3.Connection, user_id: int, step: int) -> bool:
    """Record `step` as used; False when it (or a later one) already was: a code works once, on every process."""
    changed = row_or_none(
        conn.execute(
            "UPDATE users SET mfa_last_step = ? WHERE id = ? AND mfa_last_step < ? RETURNING id", (step, user_id, step)
        )
    )
    return changed is not None


def enable(conn: sqlite3.Connection, user_id: int, code_hashes: Iterable[str]) -> None:
    conn.execute("UPDATE users SET mfa_enabled = 1 WHERE id = ?", (user_id,))
    conn.execute("DELETE FROM mfa_recovery_codes WHERE user_id = ?", (user_id,))
    for code_hash in code_hashes:
        conn.execute("INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES (?, ?)", (user_id, code_hash))


def disable(conn: sqlite3.Connection, user_id: int) -> None:
    conn.execute("UPDATE users SET mfa_enabled = 0, mfa_secret = NULL, mfa_last_step = 0 WHERE id = ?", (user_id,))
    conn.execute("DELETE FROM mfa_recovery_codes WHERE user_id = ?", (user_id,))


def use_recovery_code(conn: sqlite3.Connection, user_id: int, code_hash: str) -> bool:
    """Spend a recovery code; False when it is unknown or was spent (two racing uses: one wins)."""
    changed = row_or_none(
        conn.execute(
            "UPDATE mfa_recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL"
            " RETURNING id",
            (now_iso(), user_id, code_hash),
        )
    )
    return changed is not None
