"""Who is asking: the signed-in staff member and the widget visitor, resolved from their tokens.

Token checks (cached until the token expires), the `Staff` and `Visitor` types, minting visitor tokens, and
dropping cached staff tokens when sessions are revoked or a user changes. No routes: the FastAPI
dependencies that use these live in `handoff/web/deps.py`, the sign-in routes in `auth.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from fastapi import HTTPException, status

from handoff import api_tokens
from handoff.context import AppContext
from handoff.security import TokenError, decode_token, encode_token
from handoff.store import api_tokens as token_store
from handoff.store import sessions
from handoff.store.database import iso, now_iso


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

    @property
    def via_api_token(self) -> bool:
        """Signed in with an API token rather than a password (some account actions refuse it)."""
        return self.session_id.startswith(api_tokens.SESSION_PREFIX)

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "name": self.name, "role": self.role, "tenant_id": self.tenant_id}


@dataclass(frozen=True)
class Visitor:
    tenant_id: int
    visitor_id: str


def unauthorized(detail: str = "not authenticated") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


async def staff_from_token(ctx: AppContext, token: str) -> Staff:
    """Resolve an access token to a live staff member, or raise 401 (shared by HTTP and the staff socket).

    Verified tokens are cached until they expire; `revoked()` and `user_changed()` drop them, so a
    logout, a disabled account or a role change applies to the very next request.
    """
    if api_tokens.is_api_token(token):
        return await staff_from_api_token(ctx, token)
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


async def staff_from_api_token(ctx: AppContext, token: str) -> Staff:
    """An API token's staff identity, read from the database every time (never cached: a revocation is a
    401 at once on every process); its use is recorded at most once a minute."""
    found = await ctx.db.read(partial(token_store.by_hash, token_hash=api_tokens.hash_token(token)))
    now = now_iso()
    if found is None:
        raise unauthorized("invalid token")
    if found["revoked_at"]:
        raise unauthorized("token revoked")
    if found["expires_at"] and found["expires_at"] <= now:
        raise unauthorized("token expired")
    if found["disabled"]:
        raise unauthorized("account disabled")
    recent = iso(datetime.now(UTC) - timedelta(seconds=api_tokens.TOUCH_SECONDS))
    if found["last_used_at"] is None or found["last_used_at"] < recent:
        await ctx.db.write(partial(token_store.touch, token_id=found["id"], now=now, older_than=recent))
    role = "admin" if found["role"] == "admin" and found["user_role"] == "admin" else "staff"
    return Staff(
        found["user_id"], found["tenant_id"], found["email"], found["name"], role, api_tokens.session_id(found["id"])
    )


def revoked(ctx: AppContext, reason: str, *, session_id: str = "", user_id: int = 0) -> None:
    """After revoking sessions in the database: forget their cached tokens and close their sockets (on
    every process, through the hub's backplane)."""
    ctx.hub.forget_staff(session_id=session_id, user_id=user_id)
    ctx.hub.close_staff(session_id=session_id or None, user_id=user_id or None, reason=reason)


def user_changed(ctx: AppContext, user_id: int) -> None:
    """A user's role or name changed: their next request re-reads them (on every process)."""
    ctx.hub.forget_staff(user_id=user_id)


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
