"""Finishing a staff sign-in: the session row, the audit event and the token pair, shared by the password
step (`auth.py`) and the two-factor step (`handoff/web/mfa.py`); and the answers both give."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from handoff.context import AppContext
from handoff.security import encode_token
from handoff.store import sessions
from handoff.store.audit import record_event
from handoff.store.database import iso
from handoff.store.sessions import Credentials
from handoff.web.schemas import Role


class SignedInUser(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    tenant_id: int


class TokenPair(BaseModel):
    access_token: str = Field(description="send as `Authorization: Bearer`; short-lived")
    refresh_token: str = Field(description="single use: `POST /api/v1/auth/refresh` answers a new pair")
    token_type: Literal["bearer"]
    expires_in: int = Field(description="the access token's lifetime in seconds")
    user: SignedInUser


class MfaChallenge(BaseModel):
    """The password was right; a second step is needed before any token pair."""

    mfa_required: bool = Field(default=False, description="send a code to `POST /api/v1/auth/mfa/verify`")
    mfa_setup_required: bool = Field(
        default=False, description="the team requires 2FA: `mfa/setup` then `mfa/enable` with this token"
    )
    mfa_token: str = Field(description="short-lived (5 minutes), good only for the step named")


def token_pair(ctx: AppContext, user: Credentials, session_id: str, refresh_jti: str) -> dict[str, Any]:
    s = ctx.settings
    access = encode_token(
        s.jwt_secret,
        "access",
        s.access_token_minutes * 60,
        sub=str(user.id),
        tid=user.tenant_id,
        sid=session_id,
        role=user.role,
    )
    refresh = encode_token(
        s.jwt_secret, "refresh", s.refresh_token_days * 86400, sub=str(user.id), sid=session_id, rjti=refresh_jti
    )
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": int(s.access_token_minutes * 60),
        "user": {"id": user.id, "email": user.email, "name": user.name, "role": user.role, "tenant_id": user.tenant_id},
    }


def new_session(conn: sqlite3.Connection, user_id: int, days: float) -> tuple[str, str]:
    session_id, refresh_jti = uuid.uuid4().hex, uuid.uuid4().hex
    sessions.insert(conn, session_id, user_id, refresh_jti, iso(datetime.now(UTC) + timedelta(days=days)))
    return session_id, refresh_jti


def record_sign_in(
    conn: sqlite3.Connection, ctx: AppContext, user: Credentials, ip: str, **detail: Any
) -> tuple[str, str]:
    """Inside a write: a new session for `user`, their last login, and the `auth.login` event."""
    ids = new_session(conn, user.id, ctx.settings.refresh_token_days)
    sessions.record_login(conn, user.id)
    record_event(
        conn,
        user.tenant_id,
        "auth.login",
        actor_type="user",
        actor_id=user.id,
        target_type="user",
        target_id=user.id,
        detail={"ip": ip, **detail},
    )
    return ids


async def sign_in(ctx: AppContext, user: Credentials, ip: str, **detail: Any) -> dict[str, Any]:
    session_id, refresh_jti = await ctx.db.write(lambda conn: record_sign_in(conn, ctx, user, ip, **detail))
    return token_pair(ctx, user, session_id, refresh_jti)
