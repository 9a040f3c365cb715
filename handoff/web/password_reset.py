"""Forgotten passwords: `POST /api/v1/auth/forgot` emails a one-time link (valid 30 minutes) and always
answers 202, whether or not the address has an account; `POST /api/v1/auth/reset` sets the new password
and revokes every session of the account.

The link's token is `<reset id>.<HMAC of the id and the row's nonce>` under a key derived from JWT_SECRET:
the database holds only the nonce, and the email job only the reset id (the link is made when it is sent)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, Field

from handoff.config import Settings
from handoff.context import AppContext, Ctx, client_ip
from handoff.delivery.jobs import Fail, Job
from handoff.identity import revoked
from handoff.notify import mail
from handoff.quotas import report, retry_after_seconds
from handoff.security import hash_password, password_problem
from handoff.store import password_resets, sessions
from handoff.store.audit import record_event
from handoff.store.database import iso, now_iso

log = logging.getLogger("handoff.auth")
router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
VALID_MINUTES = 30
BAD_LINK = "this reset link is invalid, already used or expired: ask for a new one"


class ForgotBody(BaseModel):
    email: str = Field(min_length=3, max_length=320)


class ResetBody(BaseModel):
    token: str = Field(min_length=3, max_length=200)
    password: str = Field(max_length=1024)


class Accepted(BaseModel):
    detail: str


def _signature(secret: str, reset_id: int, nonce: str) -> str:
    key = hashlib.sha256(f"password-reset:{secret}".encode()).digest()
    digest = hmac.new(key, f"{reset_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(secret: str, reset_id: int, nonce: str) -> str:
    return f"{reset_id}.{_signature(secret, reset_id, nonce)}"


async def _with_link(ctx: AppContext, job: Job, context: dict[str, Any]) -> dict[str, Any]:
    """At send time: the link, from the reset row's nonce (a reset already used or gone is not sent)."""
    reset_id = int(context.pop("reset_id"))
    nonce = await ctx.db.read(partial(password_resets.nonce_of, reset_id=reset_id))
    if nonce is None:
        raise Fail("the reset request is gone")
    base = ctx.settings.public_base_url or context.pop("base")
    context["link"] = f"{base}/admin-app/#/reset/{make_token(ctx.settings.jwt_secret, reset_id, nonce)}"
    return context


mail.on_render("password_reset", _with_link)


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def link_base(settings: Settings, request: Request) -> str | None:
    """The address a reset link points to, or None when there is none to trust.

    PUBLIC_BASE_URL when set. Without it, never the Host header alone: anyone may ask for a reset of
    someone else's account through a forged Host, and the mailed link would carry a valid token to the
    forger's site. So the request's own address only when it is one this deployment is known to have: a
    loopback address (a developer's machine) or Render's address for the service (RENDER_EXTERNAL_URL)."""
    if settings.public_base_url:
        return settings.public_base_url
    host = (request.url.hostname or "").lower()
    if host in LOOPBACK_HOSTS:
        return str(request.base_url).rstrip("/")
    if settings.platform_url and urlsplit(settings.platform_url).hostname == host:
        return settings.platform_url
    return None


@router.post("/forgot", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
async def forgot(body: ForgotBody, request: Request, ctx: Ctx) -> dict[str, Any]:
    """Email a one-time reset link to the account with this address, if there is one. The answer is the
    same either way (no account enumeration); at most 5 requests per client address in 10 minutes."""
    quota = report(await ctx.limits.followups.take(f"forgot {client_ip(request)}"))
    if not quota.allowed:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many reset requests; try again later",
            headers={"Retry-After": str(retry_after_seconds(quota))},
        )
    email = body.email.strip().lower()
    base = link_base(ctx.settings, request)

    def write(conn: sqlite3.Connection) -> bool:
        user = sessions.credentials_by_email(conn, email)
        if user is None or user.disabled or not mail.configured(ctx):
            return False
        if base is None:
            log.warning(
                "password reset for a request to host %r not emailed: set PUBLIC_BASE_URL, the address the"
                " reset link must point to (a request's Host header can be forged)",
                request.url.hostname,
            )
            return False
        expires = iso(datetime.now(UTC) + timedelta(minutes=VALID_MINUTES))
        reset_id = password_resets.create(conn, user.id, secrets.token_urlsafe(24), expires)
        context = {"email": user.email, "minutes": VALID_MINUTES, "reset_id": reset_id, "base": base}
        mail.queue_email(conn, user.tenant_id, user.email, "Reset your Handoff password", "password_reset", context)
        record_event(conn, user.tenant_id, "auth.reset_requested", target_type="user", target_id=user.id)
        return True

    if await ctx.db.write(write):
        ctx.wake_jobs()
    return {"detail": "if that address has an account, a reset link is on its way"}


@router.post("/reset", status_code=status.HTTP_204_NO_CONTENT)
async def reset(body: ResetBody, ctx: Ctx) -> None:
    """Set a new password with a reset link's token (once, within 30 minutes); every session is revoked."""
    reset_id_text, _, signature = body.token.partition(".")
    if not (reset_id_text.isascii() and reset_id_text.isdigit()) or len(reset_id_text) > 18:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, BAD_LINK)
    reset_id = int(reset_id_text)
    nonce = await ctx.db.read(partial(password_resets.nonce_of, reset_id=reset_id))
    expected = _signature(ctx.settings.jwt_secret, reset_id, nonce or "")
    if nonce is None or not hmac.compare_digest(expected, signature):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, BAD_LINK)
    if problem := password_problem(body.password):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, problem)
    new_hash = await asyncio.to_thread(hash_password, body.password, ctx.settings.bcrypt_rounds)

    def write(conn: sqlite3.Connection) -> int | None:
        user_id = password_resets.use(conn, reset_id, nonce, now_iso())
        user = sessions.credentials_of(conn, user_id) if user_id else None
        if user is None:
            return None
        sessions.set_password_hash(conn, user.id, new_hash)
        sessions.revoke(conn, "password reset", user_id=user.id)
        record_event(conn, user.tenant_id, "auth.password_reset", target_type="user", target_id=user.id)
        return user.id

    user_id = await ctx.db.write(write)
    if user_id is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, BAD_LINK)
    revoked(ctx, "password reset", user_id=user_id)
