"""Staff login with rotating refresh tokens, visitor tokens, revocation, and the role dependencies."""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from handoff.context import AppContext, Ctx, client_ip
from handoff.security import TokenError, decode_token, encode_token, hash_password, password_problem, verify_password
from handoff.store import sessions
from handoff.store.audit import record_event, staff_event
from handoff.store.database import iso
from handoff.store.sessions import Credentials
from handoff.web.schemas import Role

log = logging.getLogger("handoff.auth")
router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
bearer = HTTPBearer(auto_error=False)


@functools.lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> str:
    """Checked when the email is unknown, so a miss costs as long as a hit (no user enumeration)."""
    return hash_password(uuid.uuid4().hex, rounds=rounds)


@dataclass(frozen=True)
class Staff:
    id: int
    tenant_id: int
    email: str
    name: str
    role: str
    session_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "name": self.name, "role": self.role, "tenant_id": self.tenant_id}


@dataclass(frozen=True)
class Visitor:
    tenant_id: int
    visitor_id: str


def unauthorized(detail: str = "not authenticated") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


# ---- staff tokens ---------------------------------------------------------------------------------


def _token_pair(ctx: AppContext, user: Credentials, session_id: str, refresh_jti: str) -> dict[str, Any]:
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


def _new_session(conn: sqlite3.Connection, user_id: int, days: float) -> tuple[str, str]:
    session_id, refresh_jti = uuid.uuid4().hex, uuid.uuid4().hex
    sessions.insert(conn, session_id, user_id, refresh_jti, iso(datetime.now(UTC) + timedelta(days=days)))
    return session_id, refresh_jti


async def staff_from_token(ctx: AppContext, token: str) -> Staff:
    """Resolve an access token to a live staff member, or raise 401 (shared by HTTP and the staff socket).

    Verified tokens are cached until they expire; `revoked()` and `user_changed()` drop them, so a
    logout, a disabled account or a role change applies to the very next request.
    """
    cached = ctx.staff_tokens.get(token)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    try:
        claims = decode_token(ctx.settings.jwt_secret, token, "access")
    except TokenError:
        raise unauthorized("invalid or expired token") from None
    found = await ctx.db.read(partial(sessions.session, session_id=str(claims.get("sid") or "")))
    if found is None or found.user_id != int(claims.get("sub") or 0) or found.revoked:
        raise unauthorized("token revoked")
    if found.disabled:
        raise unauthorized("account disabled")
    staff = Staff(found.user_id, found.tenant_id, found.email, found.name, found.role, claims["sid"])
    ctx.staff_tokens.put(token, float(claims["exp"]), staff)
    return staff


def revoked(ctx: AppContext, reason: str, *, session_id: str = "", user_id: int = 0) -> None:
    """After revoking sessions in the database: forget their cached tokens and close their sockets (on
    every process, through the hub's backplane)."""
    ctx.hub.forget_staff(session_id=session_id, user_id=user_id)
    ctx.hub.close_staff(session_id=session_id or None, user_id=user_id or None, reason=reason)


def user_changed(ctx: AppContext, user_id: int) -> None:
    """A user's role or name changed: their next request re-reads them (on every process)."""
    ctx.hub.forget_staff(user_id=user_id)


async def current_staff(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Staff:
    if credentials is None:
        raise unauthorized()
    return await staff_from_token(ctx, credentials.credentials)


async def admin_only(staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
    if not staff.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admin role required")
    return staff


CurrentStaff = Annotated[Staff, Depends(current_staff)]
AdminOnly = Annotated[Staff, Depends(admin_only)]


# ---- visitor tokens -------------------------------------------------------------------------------


def mint_visitor_token(ctx: AppContext, tenant_id: int, visitor_id: str) -> str:
    return encode_token(
        ctx.settings.jwt_secret, "visitor", ctx.settings.visitor_token_days * 86400, tid=tenant_id, vid=visitor_id
    )


def visitor_from_token(ctx: AppContext, token: str) -> Visitor:
    """A signed visitor token names its tenant and visitor; knowing a visitor id alone proves nothing."""
    cached = ctx.visitor_tokens.get(token)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    try:
        claims = decode_token(ctx.settings.jwt_secret, token, "visitor")
    except TokenError:
        raise unauthorized("invalid or expired visitor token") from None
    visitor = Visitor(int(claims["tid"]), str(claims["vid"]))
    ctx.visitor_tokens.put(token, float(claims["exp"]), visitor)
    return visitor


async def current_visitor(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Visitor:
    if credentials is None:
        raise unauthorized("visitor token required")
    return visitor_from_token(ctx, credentials.credentials)


CurrentVisitor = Annotated[Visitor, Depends(current_visitor)]


# ---- endpoints ------------------------------------------------------------------------------------


class LoginBody(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class RefreshBody(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=4096)


class PasswordBody(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


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


def _too_many(seconds: float) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        "too many failed logins; try again later",
        headers={"Retry-After": str(max(1, int(seconds + 0.999)))},
    )


@router.post("/login", response_model=TokenPair)
async def login(body: LoginBody, request: Request, ctx: Ctx) -> dict[str, Any]:
    """Exchange email and password for an access and a refresh token.

    Failures are counted per (account, client address) and per address, and both are checked before the
    password: an address that guesses is slowed down, but failures elsewhere never stop the right password
    from an address that has not failed, so nobody can lock someone else out.
    """
    email_key, ip_key = body.email.strip().lower(), client_ip(request)
    pair_key = f"{ip_key} {email_key}"  # an address has no space, so no two pairs share a key
    limits = ctx.limits
    wait = max(
        await limits.login_failures_per_pair.retry_after(pair_key),
        await limits.login_failures_per_address.retry_after(ip_key),
    )
    if wait > 0:
        raise _too_many(wait)
    user = await ctx.db.read(partial(sessions.credentials_by_email, email=email_key))
    hashed = user.password_hash if user else _dummy_hash(ctx.settings.bcrypt_rounds)
    ok = await asyncio.to_thread(verify_password, body.password, hashed)
    if not user or not ok or user.disabled:
        await limits.login_failures_per_pair.hit(pair_key)
        await limits.login_failures_per_address.hit(ip_key)
        log.info("failed login for a %s account", "known" if user else "unknown")
        raise unauthorized("incorrect email or password")
    await limits.login_failures_per_pair.reset(pair_key)

    def write(conn: sqlite3.Connection) -> tuple[str, str]:
        ids = _new_session(conn, user.id, ctx.settings.refresh_token_days)
        sessions.record_login(conn, user.id)
        record_event(
            conn,
            user.tenant_id,
            "auth.login",
            actor_type="user",
            actor_id=user.id,
            target_type="user",
            target_id=user.id,
            detail={"ip": ip_key},
        )
        return ids

    session_id, refresh_jti = await ctx.db.write(write)
    return _token_pair(ctx, user, session_id, refresh_jti)


@router.post("/refresh", response_model=TokenPair)
async def refresh(body: RefreshBody, ctx: Ctx) -> dict[str, Any]:
    """Rotate a refresh token: the old one dies; presenting a dead one again revokes the whole session."""
    try:
        claims = decode_token(ctx.settings.jwt_secret, body.refresh_token, "refresh")
    except TokenError:
        raise unauthorized("invalid or expired refresh token") from None

    def write(conn: sqlite3.Connection) -> tuple[Credentials, str] | str:
        session = sessions.session(conn, str(claims.get("sid") or ""))
        if session is None or session.revoked or session.disabled:
            return "session revoked"
        if session.refresh_jti != claims.get("rjti"):
            sessions.revoke(conn, "refresh token reused", session_id=session.id)
            record_event(
                conn,
                session.tenant_id,
                "auth.refresh_reuse",
                actor_type="user",
                actor_id=session.user_id,
                target_type="session",
                target_id=session.id,
            )
            return "refresh token already used; session revoked"
        new_jti = uuid.uuid4().hex
        sessions.rotate_refresh(conn, session.id, new_jti)
        user = sessions.credentials_of(conn, session.user_id)
        if user is None:  # the join above found the user in this same transaction
            raise LookupError("the session's user vanished")
        return user, new_jti

    outcome = await ctx.db.write(write)
    if isinstance(outcome, str):
        revoked(ctx, outcome, session_id=str(claims.get("sid")))
        raise unauthorized(outcome)
    user, new_jti = outcome
    return _token_pair(ctx, user, str(claims["sid"]), new_jti)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(staff: CurrentStaff, ctx: Ctx) -> None:
    """Revoke the caller's access and refresh tokens (this session) and close its sockets."""

    def write(conn: sqlite3.Connection) -> None:
        sessions.revoke(conn, "logout", session_id=staff.session_id)
        staff_event(conn, staff, "auth.logout", "user", staff.id)

    await ctx.db.write(write)
    revoked(ctx, "logged out", session_id=staff.session_id)


@router.get("/me", response_model=SignedInUser)
async def me(staff: CurrentStaff) -> dict[str, Any]:
    """The signed-in staff member."""
    return staff.json()


@router.post("/password", response_model=TokenPair)
async def change_password(body: PasswordBody, staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """Change one's own password: every existing session is revoked and a fresh token pair returned."""
    problem = password_problem(body.new_password)
    if problem:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, problem)
    user = await ctx.db.read(partial(sessions.credentials_of, user_id=staff.id))
    if user is None or not await asyncio.to_thread(verify_password, body.current_password, user.password_hash):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "current password is incorrect")
    new_hash = await asyncio.to_thread(hash_password, body.new_password, ctx.settings.bcrypt_rounds)

    def write(conn: sqlite3.Connection) -> tuple[Credentials, str, str]:
        sessions.set_password_hash(conn, staff.id, new_hash)
        sessions.revoke(conn, "password changed", user_id=staff.id)
        staff_event(conn, staff, "auth.password_changed", "user", staff.id)
        session_id, jti = _new_session(conn, staff.id, ctx.settings.refresh_token_days)
        changed = sessions.credentials_of(conn, staff.id)
        if changed is None:  # read before the write, in the same request: only a concurrent delete could do this
            raise LookupError("the user vanished")
        return changed, session_id, jti

    changed, session_id, jti = await ctx.db.write(write)
    revoked(ctx, "password changed", user_id=staff.id)
    return _token_pair(ctx, changed, session_id, jti)
