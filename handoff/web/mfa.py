"""The `/api/v1/auth/mfa` routes: set up, enable and disable two-factor sign-in, and the login's second step.

A user with 2FA on gets `{mfa_required, mfa_token}` from `login` and trades the token and a code (or an unused
recovery code) at `mfa/verify` for the token pair. When the tenant requires 2FA, a user without it gets
`{mfa_setup_required, mfa_token}` instead, and `mfa/setup` and `mfa/enable` take that token in place of an
access token; `enable` then answers the token pair too. Wrong codes count against the account
(`Limits.mfa_failures`) and a code's time step is used once."""

from __future__ import annotations

import logging
import sqlite3
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from handoff import mfa
from handoff.context import AppContext, Ctx, client_ip
from handoff.crypto import SecretUnreadable
from handoff.identity import Staff, staff_from_token, unauthorized
from handoff.quotas import report, retry_after_seconds
from handoff.security import TokenError
from handoff.store import mfa as store
from handoff.store import sessions, tenants, users
from handoff.store.audit import record_event, staff_event
from handoff.store.sessions import Credentials
from handoff.web.deps import AdminOnly, CurrentStaff, bearer
from handoff.web.params import IdPath
from handoff.web.schemas import error_responses
from handoff.web.signin import TokenPair, record_sign_in, token_pair

log = logging.getLogger("handoff.mfa")
router = APIRouter(prefix="/api/v1/auth/mfa", tags=["auth"])
# An admin turning a teammate's 2FA off (phone and recovery codes both lost).
reset_router = APIRouter(prefix="/api/v1/users", tags=["users"])
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


class MfaStatus(BaseModel):
    enabled: bool
    recovery_codes_left: int
    required: bool = Field(description="the team requires two-factor sign-in (it cannot be turned off)")


class SetupBody(BaseModel):
    mfa_token: str | None = Field(
        default=None, max_length=4096, description="from a login answering mfa_setup_required"
    )


class MfaSetup(BaseModel):
    secret: str = Field(description="base32, for typing into an authenticator app")
    otpauth_url: str
    qr_svg: str = Field(description="the QR code of otpauth_url, an SVG `data:` URI drawn by the server")


class EnableBody(SetupBody):
    code: str = Field(min_length=6, max_length=32)


class MfaEnabled(BaseModel):
    recovery_codes: list[str] = Field(description="shown this once: each signs in once in place of a code")
    tokens: TokenPair | None = Field(description="the token pair, when enabled with a setup mfa_token")


class VerifyBody(BaseModel):
    mfa_token: str = Field(min_length=1, max_length=4096)
    code: str = Field(min_length=6, max_length=32, description="the authenticator's code, or a recovery code")


class CodeBody(BaseModel):
    code: str = Field(min_length=6, max_length=32, description="a current code, or a recovery code")


def mfa_challenge(conn: sqlite3.Connection, user: Credentials, jwt_secret: str) -> dict[str, Any] | None:
    """What `login` answers instead of tokens after a right password, or None when no second step is due."""
    if store.state(conn, user.id).enabled:
        return {"mfa_required": True, "mfa_token": mfa.mfa_token(jwt_secret, user.id, "verify")}
    tenant = tenants.get(conn, user.tenant_id)
    if tenant is not None and tenant.settings.get("require_mfa"):
        return {"mfa_setup_required": True, "mfa_token": mfa.mfa_token(jwt_secret, user.id, "setup")}
    return None


async def _user(ctx: AppContext, user_id: int) -> Credentials:
    user = await ctx.db.read(partial(sessions.credentials_of, user_id=user_id))
    if user is None or user.disabled:
        raise unauthorized("account disabled")
    return user


async def _caller(ctx: AppContext, credentials: HTTPAuthorizationCredentials | None, token: str | None) -> Credentials:
    """Setup and enable: the signed-in user, or the one a setup mfa_token names."""
    if token:
        try:
            return await _user(ctx, mfa.mfa_token_user(ctx.settings.jwt_secret, token, ("setup",)))
        except TokenError:
            raise unauthorized("invalid or expired mfa token") from None
    if credentials is None:
        raise unauthorized()
    return await _user(ctx, _signed_in(await staff_from_token(ctx, credentials.credentials)).id)


def _signed_in(staff: Staff) -> Staff:
    """Two-factor settings take a password sign-in: an API token cannot turn them on, off or reset them."""
    if staff.via_api_token:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "two-factor sign-in is managed by a member signed in with a password"
        )
    return staff


def _secret(ctx: AppContext, sealed: str | None) -> str:
    try:
        return ctx.secrets.open(sealed or "")
    except SecretUnreadable:
        raise HTTPException(status.HTTP_409_CONFLICT, "two-factor secret unreadable: set it up again") from None


async def _throttle(ctx: AppContext, user_id: int) -> None:
    quota = report(await ctx.limits.mfa_failures.peek(str(user_id)))
    if not quota.allowed:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many wrong codes; try again later",
            headers={"Retry-After": str(retry_after_seconds(quota))},
        )


async def _wrong(ctx: AppContext, user_id: int, detail: str) -> HTTPException:
    report(await ctx.limits.mfa_failures.hit(str(user_id)))
    log.info("wrong second-factor code for user %s", user_id)
    return unauthorized(detail)


def _spend(conn: sqlite3.Connection, user: Credentials, step: int | None, code: str) -> str | None:
    """Inside a write: spend the TOTP step or the recovery code; how ("totp", "recovery"), None if refused."""
    if step is not None:
        return "totp" if store.use_step(conn, user.id, step) else None
    if mfa.looks_like_recovery_code(code) and store.use_recovery_code(conn, user.id, mfa.hash_recovery_code(code)):
        record_event(
            conn,
            user.tenant_id,
            "auth.mfa_recovery_used",
            actor_type="user",
            actor_id=user.id,
            target_type="user",
            target_id=user.id,
        )
        return "recovery"
    return None


@router.get("", response_model=MfaStatus)
async def mfa_status(staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """Whether the caller has two-factor sign-in, how many recovery codes are left, and whether it is required."""

    def read(conn: sqlite3.Connection) -> dict[str, Any]:
        state, tenant = store.state(conn, staff.id), tenants.get(conn, staff.tenant_id)
        required = bool(tenant and tenant.settings.get("require_mfa"))
        return {"enabled": state.enabled, "recovery_codes_left": state.recovery_left, "required": required}

    return await ctx.db.read(read)


@router.post("/setup", response_model=MfaSetup, responses=error_responses(401, 403, 409))
async def mfa_setup(ctx: Ctx, credentials: Bearer, body: SetupBody | None = None) -> dict[str, Any]:
    """A new secret (replacing any earlier one not yet enabled); 2FA is on only once `enable` gets a code."""
    user = await _caller(ctx, credentials, body.mfa_token if body else None)
    secret = mfa.new_secret()
    if not await ctx.db.write(lambda c: store.set_pending_secret(c, user.id, ctx.secrets.seal(secret))):
        raise HTTPException(status.HTTP_409_CONFLICT, "two-factor sign-in is already on")
    url = mfa.otpauth_url(secret, user.email)
    return {"secret": secret, "otpauth_url": url, "qr_svg": mfa.qr_svg(url)}


@router.post("/enable", response_model=MfaEnabled, responses=error_responses(401, 403, 409, 429))
async def mfa_enable(body: EnableBody, request: Request, ctx: Ctx, credentials: Bearer) -> dict[str, Any]:
    """Turn 2FA on with a code from the app: answers the recovery codes, once (and, with a setup mfa_token,
    the token pair that finishes the login)."""
    user = await _caller(ctx, credentials, body.mfa_token)
    await _throttle(ctx, user.id)
    state = await ctx.db.read(partial(store.state, user_id=user.id))
    if state.enabled or not state.secret:
        raise HTTPException(status.HTTP_409_CONFLICT, "nothing to enable: call mfa/setup first")
    step = mfa.matching_step(_secret(ctx, state.secret), body.code)
    codes = mfa.new_recovery_codes()
    ip = client_ip(request)

    def write(conn: sqlite3.Connection) -> tuple[str, str] | bool | None:
        if step is None or not store.use_step(conn, user.id, step):
            return None
        store.enable(conn, user.id, [mfa.hash_recovery_code(c) for c in codes])
        record_event(
            conn,
            user.tenant_id,
            "auth.mfa_enabled",
            actor_type="user",
            actor_id=user.id,
            target_type="user",
            target_id=user.id,
        )
        return record_sign_in(conn, ctx, user, ip, mfa="totp") if body.mfa_token else True

    done = await ctx.db.write(write)
    if done is None:
        raise await _wrong(ctx, user.id, "incorrect code")
    tokens = token_pair(ctx, user, *done) if isinstance(done, tuple) else None
    return {"recovery_codes": codes, "tokens": tokens}


@router.post("/verify", response_model=TokenPair, responses=error_responses(401, 429))
async def mfa_verify(body: VerifyBody, request: Request, ctx: Ctx) -> dict[str, Any]:
    """The login's second step: the mfa_token from `login` and a current code, or a recovery code (each once)."""
    try:
        user_id = mfa.mfa_token_user(ctx.settings.jwt_secret, body.mfa_token, ("verify",))
    except TokenError:
        raise unauthorized("invalid or expired mfa token; sign in again") from None
    await _throttle(ctx, user_id)
    user = await _user(ctx, user_id)
    state = await ctx.db.read(partial(store.state, user_id=user.id))
    if not state.enabled:
        raise unauthorized("two-factor sign-in is off for this account; sign in again")
    step = mfa.matching_step(_secret(ctx, state.secret), body.code)
    ip = client_ip(request)

    def write(conn: sqlite3.Connection) -> tuple[str, str] | None:
        how = _spend(conn, user, step, body.code)
        return record_sign_in(conn, ctx, user, ip, mfa=how) if how else None

    done = await ctx.db.write(write)
    if done is None:
        raise await _wrong(ctx, user.id, "incorrect or already used code")
    return token_pair(ctx, user, *done)


@router.post("/disable", response_model=MfaStatus, responses=error_responses(401, 403, 409, 429))
async def mfa_disable(body: CodeBody, staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """Turn 2FA off: needs a current code (or a recovery code); refused while the team requires 2FA."""
    await _throttle(ctx, _signed_in(staff).id)
    user = await _user(ctx, staff.id)

    def read(conn: sqlite3.Connection) -> tuple[store.MfaState, bool]:
        tenant = tenants.get(conn, staff.tenant_id)
        return store.state(conn, staff.id), bool(tenant and tenant.settings.get("require_mfa"))

    state, required = await ctx.db.read(read)
    if not state.enabled:
        raise HTTPException(status.HTTP_409_CONFLICT, "two-factor sign-in is not on")
    if required:
        raise HTTPException(status.HTTP_409_CONFLICT, "your team requires two-factor sign-in")
    step = mfa.matching_step(_secret(ctx, state.secret), body.code)

    def write(conn: sqlite3.Connection) -> bool:
        if _spend(conn, user, step, body.code) is None:
            return False
        store.disable(conn, user.id)
        record_event(
            conn,
            user.tenant_id,
            "auth.mfa_disabled",
            actor_type="user",
            actor_id=user.id,
            target_type="user",
            target_id=user.id,
        )
        return True

    if not await ctx.db.write(write):
        raise await _wrong(ctx, user.id, "incorrect or already used code")
    return {"enabled": False, "recovery_codes_left": 0, "required": False}


@reset_router.post(
    "/{user_id}/mfa/reset", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(403, 404, 409)
)
async def mfa_reset(user_id: IdPath, admin: AdminOnly, ctx: Ctx) -> None:
    """Turn a teammate's two-factor sign-in off (admins): they sign in with the password alone, or are asked to
    set it up again when the team requires it. Your own goes off under `mfa/disable`, with a code."""
    if user_id == _signed_in(admin).id:
        raise HTTPException(status.HTTP_409_CONFLICT, "turn your own off with a code (mfa/disable)")

    def write(conn: sqlite3.Connection) -> bool:
        if users.get_user(conn, admin.tenant_id, user_id) is None:
            return False
        store.disable(conn, user_id)
        staff_event(conn, admin, "auth.mfa_reset", "user", user_id)
        return True

    if not await ctx.db.write(write):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "user not found")
