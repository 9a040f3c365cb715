"""Verified visitor identity: the host site signs its user's id with the tenant's identity secret
(`user_hash = hex(HMAC-SHA256(identity_secret, user_id))`) and the widget passes both to the session. A valid
pair makes the visitor the one visitor of that user id (`visitor_id_for`), on every device and browser."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from typing import Any

from handoff.context import AppContext
from handoff.conversations.service import load_for_publish
from handoff.crypto import SecretUnreadable
from handoff.identity import unauthorized
from handoff.live import events
from handoff.store import conversations as conversation_store
from handoff.store import verified as store
from handoff.store.audit import record_event


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


async def verified_user(ctx: AppContext, tenant_id: int, user_id: str | None, given: str | None) -> str | None:
    """The user id of a valid pair; None when none was given; 401 for a wrong or half pair."""
    if user_id is None and given is None:
        return None
    secret = await tenant_secret(ctx, tenant_id)
    if user_id is None or given is None or secret is None or not hash_matches(secret, user_id, given):
        raise unauthorized("user_hash does not match user_id")
    return user_id


async def link_verified(
    ctx: AppContext,
    tenant_id: int,
    visitor_id: str,
    user_id: str,
    *,
    name: str | None,
    email: str | None,
    previous: str | None,
) -> None:
    """The verified contact of `user_id` (its visitor `visitor_id`), with the name and email given. When the
    browser was an anonymous visitor (`previous`) until now, that visitor's conversations move to the verified
    contact, so a chat started before signing in on the site goes on (unless both have one open)."""

    def write(conn: sqlite3.Connection) -> list[dict[str, Any]]:
        contact = conversation_store.upsert_contact(conn, tenant_id, "webchat", visitor_id, name=name, email=email)
        if contact["verified_user_id"] != user_id:
            store.mark_verified(conn, contact["id"], user_id)
        if not previous or previous == visitor_id:
            return []
        adopted = store.adopt_anonymous(conn, tenant_id, contact, previous)
        if adopted is None:
            return []
        other_id, moved = adopted
        record_event(
            conn,
            tenant_id,
            "contact.merged",
            actor_type="visitor",
            actor_id=visitor_id,
            target_type="contact",
            target_id=contact["id"],
            detail={"other_id": other_id, "conversations": moved, "verified": True},
        )
        return [load_for_publish(conn, tenant_id, c) for c in moved]

    for conversation in await ctx.db.write(write, retry=True):
        ctx.hub.publish(tenant_id, events.conversation_updated(conversation))
