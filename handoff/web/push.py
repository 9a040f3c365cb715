"""Web Push endpoints: the deployment's VAPID public key, and each staff member's subscribed browsers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from handoff.context import Ctx
from handoff.errors import Invalid, NotFound, Unavailable
from handoff.notify import push as _registers_the_push_job  # noqa: F401  (the "push" job handler)
from handoff.notify.vapid import b64url_decode, public_key
from handoff.store import push as store
from handoff.web.deps import CurrentStaff
from handoff.web.schemas import error_responses

router = APIRouter(prefix="/api/v1/push", tags=["push"])


class PublicKey(BaseModel):
    public_key: str = Field(description="VAPID public key, base64url: the browser's applicationServerKey")


class SubscriptionKeys(BaseModel):
    p256dh: str = Field(min_length=1, max_length=200)
    auth: str = Field(min_length=1, max_length=100)


class NewSubscription(BaseModel):
    """A browser's `PushSubscription.toJSON()` (its `expirationTime` is ignored)."""

    endpoint: str = Field(min_length=1, max_length=2048)
    keys: SubscriptionKeys


class Unsubscribe(BaseModel):
    endpoint: str = Field(min_length=1, max_length=2048)


class SubscriptionOut(BaseModel):
    id: int
    endpoint: str
    created_at: str
    last_success_at: str | None


class SubscriptionList(BaseModel):
    subscriptions: list[SubscriptionOut]


def checked_endpoint(endpoint: str, allow_http: bool) -> str:
    schemes = ("https", "http") if allow_http else ("https",)
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:  # a malformed host ("https://[") or port
        raise Invalid("endpoint must be the push service's https:// URL") from None
    if parts.scheme not in schemes or not parts.hostname or parts.username is not None or parts.password is not None:
        raise Invalid("endpoint must be the push service's https:// URL")
    return endpoint


def checked_keys(keys: SubscriptionKeys) -> SubscriptionKeys:
    """The browser's P-256 public key and 16-byte auth secret, both base64url; anything else cannot be
    encrypted to, so it is refused now rather than failing at every alert."""
    try:
        point = b64url_decode(keys.p256dh)
        auth = b64url_decode(keys.auth)
    except ValueError:
        raise Invalid("keys must be base64url") from None
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise Invalid("keys.p256dh is not a P-256 public key") from None
    if len(auth) != 16:
        raise Invalid("keys.auth must be 16 bytes")
    return keys


@router.get("/key", response_model=PublicKey, responses=error_responses(503))
async def get_key(ctx: Ctx) -> dict[str, str]:
    """The VAPID public key browsers subscribe with (made once per deployment, at its first start)."""
    key = await ctx.db.read(public_key)
    if key is None:  # only between a first start's migration and its key being stored
        raise Unavailable("the push key is not ready yet")
    return {"public_key": key}


@router.get("/subscriptions", response_model=SubscriptionList)
async def list_subscriptions(staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """Your own subscribed browsers."""
    found = await ctx.db.read(lambda conn: store.of_user(conn, staff.tenant_id, staff.id))
    return {"subscriptions": [s.json() for s in found]}


@router.post("/subscriptions", response_model=SubscriptionOut, status_code=201)
async def subscribe(body: NewSubscription, staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """Store this browser's subscription for you: your alerts reach it when no Handoff tab of yours is open.
    The same endpoint sent again (or by someone else signing in on that browser) replaces the stored one."""
    endpoint = checked_endpoint(body.endpoint, ctx.settings.push_allow_http)
    keys = checked_keys(body.keys)
    saved = await ctx.db.write(
        lambda conn: store.save(conn, staff.tenant_id, staff.id, endpoint, keys.p256dh, keys.auth)
    )
    return saved.json()


@router.delete("/subscriptions", status_code=204, responses=error_responses(404))
async def unsubscribe(body: Unsubscribe, staff: CurrentStaff, ctx: Ctx) -> Response:
    """Stop pushing to this browser; 404 when it is not one of yours."""
    removed = await ctx.db.write(lambda conn: store.remove(conn, staff.tenant_id, staff.id, body.endpoint))
    if not removed:
        raise NotFound("no such subscription of yours")
    return Response(status_code=204)
