"""The `/api/v1/auth` routes: staff login with rotating refresh tokens, logout, `me`, password change.

Who a token names is `handoff.identity`; the request dependencies are `handoff.web.deps`."""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import uuid
from functools import partial
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field

from handoff.context import Ctx, client_ip
from handoff.identity import revoked, unauthorized
from handoff.quotas import Quota, report, retry_after_seconds, tightest
from handoff.security import TokenError, decode_token, hash_password, password_problem, verify_password
from handoff.store import sessions
from handoff.store.audit import record_event, staff_event
from handoff.store.sessions import Credentials
from handoff.web.deps import CurrentStaff
from handoff.web.mfa import mfa_challenge
from handoff.web.signin import MfaChallenge, SignedInUser, TokenPair, new_session, sign_in, token_pair

log = logging.getLogger("handoff.auth")
router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@functools.lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> str:
    """Checked when the email is unknown, so a miss costs as long as a hit (no user enumeration)."""
    return hash_password(uuid.uuid4().hex, rounds=rounds)


# ---- endpoints ------------------------------------------------------------------------------------


class LoginBody(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class RefreshBody(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=4096)


class PasswordBody(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


def _too_many(quota: Quota) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        "too many failed logins; try again later",
        headers={"Retry-After": str(retry_after_seconds(quota))},
    )


@router.post("/login", response_model=TokenPair | MfaChallenge)
async def login(body: LoginBody, request: Request, ctx: Ctx) -> dict[str, Any]:
    """Exchange email and password for an access and a refresh token, or, when the account has two-factor
    sign-in (or its team requires it), for an `mfa_token` and the step to take with it.

    Failures are counted per (account, client address) and per address, and both are checked before the
    password: an address that guesses is slowed down, but failures elsewhere never stop the right password
    from an address that has not failed, so nobody can lock someone else out.
    """
    email_key, ip_key = body.email.strip().lower(), client_ip(request)
    pair_key = f"{ip_key} {email_key}"  # an address has no space, so no two pairs share a key
    limits = ctx.limits
    # The RateLimit headers count failures left before the throttle bites, for the tighter of the two.
    before = tightest(
        [await limits.login_failures_per_pair.peek(pair_key), await limits.login_failures_per_address.peek(ip_key)]
    )
    if not before.allowed:
        raise _too_many(report(before))
    user = await ctx.db.read(partial(sessions.credentials_by_email, email=email_key))
    hashed = user.password_hash if user else _dummy_hash(ctx.settings.bcrypt_rounds)
    ok = await asyncio.to_thread(verify_password, body.password, hashed)
    if not user or not ok or user.disabled:
        report(await limits.login_failures_per_pair.hit(pair_key))
        report(await limits.login_failures_per_address.hit(ip_key))
        log.info("failed login for a %s account", "known" if user else "unknown")
        raise unauthorized("incorrect email or password")
    await limits.login_failures_per_pair.reset(pair_key)
    report(await limits.login_failures_per_address.peek(ip_key))
    report(await limits.login_failures_per_pair.peek(pair_key))

    # With two-factor sign-in on (or required by the team) the password only earns a short-lived mfa token.
    challenge = await ctx.db.read(partial(mfa_challenge, user=user, jwt_secret=ctx.settings.jwt_secret))
    if challenge is not None:
        return challenge
    return await sign_in(ctx, user, ip_key)


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
        new_jti = uuid.uuid4().hex
        if session.refresh_jti != claims.get("rjti") or not sessions.rotate_refresh(
            conn, session.id, session.refresh_jti, new_jti
        ):
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
        user = sessions.credentials_of(conn, session.user_id)
        if user is None:  # the join above found the user in this same transaction
            raise LookupError("the session's user vanished")
        return user, new_jti

    outcome = await ctx.db.write(write)
    if isinstance(outcome, str):
        revoked(ctx, outcome, session_id=str(claims.get("sid")))
        raise unauthorized(outcome)
    user, new_jti = outcome
    return token_pair(ctx, user, str(claims["sid"]), new_jti)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(staff: CurrentStaff, ctx: Ctx) -> None:
    """Revoke the caller's access and refresh tokens (this session) and close its sockets."""
    if staff.via_api_token:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "an API token is revoked under Settings, not logged out")

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
    if staff.via_api_token:  # it would mint a password session with the creator's full role
        raise HTTPException(status.HTTP_403_FORBIDDEN, "sign in with a password to change it")
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
        session_id, jti = new_session(conn, staff.id, ctx.settings.refresh_token_days)
        changed = sessions.credentials_of(conn, staff.id)
        if changed is None:  # read before the write, in the same request: only a concurrent delete could do this
            raise LookupError("the user vanished")
        return changed, session_id, jti

    changed, session_id, jti = await ctx.db.write(write)
    revoked(ctx, "password changed", user_id=staff.id)
    return token_pair(ctx, changed, session_id, jti)
