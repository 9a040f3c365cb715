"""Sign-in: `auth_sessions` rows (one per login, holding the current refresh token id) and the columns of
`users` that only sign-in reads or writes (password hash, last login). Tokens themselves are made by the
caller; this module never sees a secret other than the password hash."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from handoff.store.backend import dialect
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
class Session:
    """A sign-in session with its user, as checking an access or a refresh token needs them."""

    id: str
    user_id: int
    tenant_id: int
    email: str
    name: str
    role: str
    disabled: bool  # the user's account
    revoked: bool  # this session
    refresh_jti: str  # the one refresh token that may still be used


def _credentials(row: sqlite3.Row | None) -> Credentials | None:
    if row is None:
        return None
    return Credentials(
        row["id"], row["tenant_id"], row["email"], row["name"], row["role"], bool(row["disabled"]), row["password_hash"]
    )


def credentials_by_email(conn: sqlite3.Connection, email: str) -> Credentials | None:
    """`email` as stored: trimmed and lower-cased by the caller. SQLite's column is COLLATE NOCASE; on
    PostgreSQL `lower(email)` is what the unique index covers."""
    column = "lower(email)" if dialect(conn) == "postgresql" else "email"
    return _credentials(
        row_or_none(conn.execute(f"SELECT {CREDENTIAL_COLUMNS} FROM users WHERE {column} = ?", (email,)))
    )


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


def session(conn: sqlite3.Connection, session_id: str) -> Session | None:
    """The session and its user: one read per access token not yet cached, and per refresh."""
    row = row_or_none(
        conn.execute(
            "SELECT s.id, s.user_id, s.revoked_at, s.refresh_jti, u.tenant_id, u.email, u.name, u.role, u.disabled"
            " FROM auth_sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?",
            (session_id,),
        )
    )
    if row is None:
        return None
    return Session(
        id=row["id"],
        user_id=row["user_id"],
        tenant_id=row["tenant_id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        disabled=bool(row["disabled"]),
        revoked=row["revoked_at"] is not None,
        refresh_jti=row["refresh_jti"],
    )


def rotate_refresh(conn: sqlite3.Connection, session_id: str, presented_jti: str, refresh_jti: str) -> bool:
    """The session's refresh token is now this one, if the presented one is still the current one: False
    when another refresh with the same token rotated it first (on another process, between this one's read
    and its write), which is reuse. Presenting the previous one again means reuse too."""
    rotated = conn.execute(
        "UPDATE auth_sessions SET refresh_jti = ? WHERE id = ? AND refresh_jti = ? AND revoked_at IS NULL",
        (refresh_jti, session_id, presented_jti),
    )
    return rotated.rowcount == 1
