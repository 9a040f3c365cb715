"""Sign-in: `auth_sessions` rows (one per login, holding the current refresh token id) and the columns of
`users` that only sign-in reads or writes (password hash, last login). Tokens themselves are made by the
caller; this module never sees a secret other than the password hash."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from handoff.store.database import now_iso, row_or_none

CREDENTIAL_COLUMNS = "id, tenant_id, email, name, role, disabled, password_hash"


@dataclass(frozen=True)
class Credentials:
    """A user as sign-in sees them. The hash is for checking a password here, never for an answer."""

    id: int
    tenant_id: int
    email: str
    name: str
    role: str
    disabled: bool
    password_hash: str


@dataclass(frozen=True)
class SessionUser:
    """The user behind an access token's session, and whether that session or account still counts."""

    id: int
    tenant_id: int
    email: str
    name: str
    role: str
    disabled: bool
    revoked: bool


@dataclass(frozen=True)
class RefreshState:
    """What a refresh needs: the session's current refresh token id and whether it may still be used."""

    session_id: str
    user_id: int
    tenant_id: int
    refresh_jti: str
    revoked: bool
    disabled: bool


def _credentials(row: sqlite3.Row | None) -> Credentials | None:
    if row is None:
        return None
    return Credentials(
        row["id"], row["tenant_id"], row["email"], row["name"], row["role"], bool(row["disabled"]), row["password_hash"]
    )


def credentials_by_email(conn: sqlite3.Connection, email: str) -> Credentials | None:
    """`email` as stored: trimmed and lower-cased by the caller."""
    return _credentials(row_or_none(conn.execute(f"SELECT {CREDENTIAL_COLUMNS} FROM users WHERE email = ?", (email,))))


def credentials_of(conn: sqlite3.Connection, user_id: int) -> Credentials | None:
    return _credentials(row_or_none(conn.execute(f"SELECT {CREDENTIAL_COLUMNS} FROM users WHERE id = ?", (user_id,))))


def record_login(conn: sqlite3.Connection, user_id: int) -> None:
    conn.execute("UPDATE users SET last_login_at = ? WHERE id = ?", (now_iso(), user_id))


def set_password_hash(conn: sqlite3.Connection, user_id: int, password_hash: str) -> None:
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


def insert(conn: sqlite3.Connection, session_id: str, user_id: int, refresh_jti: str, expires_at: str) -> None:
    conn.execute(
        "INSERT INTO auth_sessions (id, user_id, refresh_jti, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        (session_id, user_id, refresh_jti, now_iso(), expires_at),
    )


def revoke(conn: sqlite3.Connection, reason: str, *, session_id: str = "", user_id: int = 0) -> None:
    """Revoke one session, or every session of a user (already revoked ones keep their first reason). After
    the commit, the caller drops cached tokens and closes sockets (`auth.revoked`)."""
    conn.execute(
        "UPDATE auth_sessions SET revoked_at = ?, revoked_reason = ?"
        " WHERE revoked_at IS NULL AND (id = ? OR user_id = ?)",
        (now_iso(), reason, session_id, user_id),
    )


def user_of_session(conn: sqlite3.Connection, session_id: str, user_id: int) -> SessionUser | None:
    """The user an access token names, if that session is theirs (one read per uncached token)."""
    row = row_or_none(
        conn.execute(
            "SELECT u.id, u.tenant_id, u.email, u.name, u.role, u.disabled, s.revoked_at FROM auth_sessions s"
            " JOIN users u ON u.id = s.user_id WHERE s.id = ? AND u.id = ?",
            (session_id, user_id),
        )
    )
    if row is None:
        return None
    return SessionUser(
        row["id"],
        row["tenant_id"],
        row["email"],
        row["name"],
        row["role"],
        bool(row["disabled"]),
        row["revoked_at"] is not None,
    )


def refresh_state(conn: sqlite3.Connection, session_id: str) -> RefreshState | None:
    row = row_or_none(
        conn.execute(
            "SELECT s.id, s.user_id, s.refresh_jti, s.revoked_at, u.tenant_id, u.disabled FROM auth_sessions s"
            " JOIN users u ON u.id = s.user_id WHERE s.id = ?",
            (session_id,),
        )
    )
    if row is None:
        return None
    return RefreshState(
        row["id"],
        row["user_id"],
        row["tenant_id"],
        row["refresh_jti"],
        row["revoked_at"] is not None,
        bool(row["disabled"]),
    )


def rotate_refresh(conn: sqlite3.Connection, session_id: str, refresh_jti: str) -> None:
    """The session's refresh token is now this one; presenting the previous one again means reuse."""
    conn.execute("UPDATE auth_sessions SET refresh_jti = ? WHERE id = ?", (refresh_jti, session_id))
