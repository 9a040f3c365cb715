"""Verified visitor identity: the host site signs its user's id with the tenant's identity secret
(`user_hash = hex(HMAC-SHA256(identity_secret, user_id))`) and the widget passes both to the session. A valid
pair makes the visitor the one visitor of that user id (`visitor_id_for`), on every device and browser."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from handoff.context import AppContext
from handoff.crypto import SecretUnreadable
from handoff.store import verified as store


def new_secret() -> str:
    return secrets.token_hex(32)


def user_hash(secret: str, user_id: str) -> str:
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def hash_matches(secret: str, user_id: str, given: str) -> bool:
    """Compared in constant time, so the answer's timing tells nothing about a near miss."""
    return hmac.compare_digest(user_hash(secret, user_id), given.strip().lower().encode("ascii", "replace").decode())


def visitor_id_for(user_id: str) -> str:
    """The visitor id of a verified user: the same everywhere, so their devices share one contact and
    transcript. Hashed, so any user id fits the visitor id's length and characters."""
    return "u-" + hashlib.sha256(user_id.encode()).hexdigest()[:40]


async def tenant_secret(ctx: AppContext, tenant_id: int, *, create: bool = False) -> str | None:
    """The tenant's identity secret in plain text; with `create`, one is made (and sealed) if there is none."""
    sealed = await ctx.db.read(lambda c: store.identity_secret(c, tenant_id))
    if sealed is None and create:
        fresh = ctx.secrets.seal(new_secret())
        await ctx.db.write(lambda c: store.set_identity_secret(c, tenant_id, fresh, only_if_unset=True))
        sealed = await ctx.db.read(lambda c: store.identity_secret(c, tenant_id))
    if sealed is None:
        return None
    try:
        return ctx.secrets.open(sealed)
    except SecretUnreadable:
        return None  # JWT_SECRET changed: no pair verifies until an admin rotates the secret
