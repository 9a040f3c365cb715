"""Outgoing webhooks, managed by admins: endpoints (the signing secret shown once), their delivery log, and
redelivery. Delivering is `handoff.delivery.webhooks` (a job of the shared queue), never on a request's path."""

from __future__ import annotations

import secrets
import sqlite3
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from handoff.context import Ctx
from handoff.delivery import webhooks as delivery  # registers the "webhook" job handler
from handoff.delivery.webhook_urls import MAX_URL_LENGTH, url_problem
from handoff.errors import Conflict, Invalid, NotFound
from handoff.store import webhook_queue
from handoff.store import webhooks as store
from handoff.store.audit import staff_event
from handoff.web.deps import AdminOnly
from handoff.web.params import BeforeQuery, IdPath
from handoff.web.schemas import error_responses

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
MAX_ENDPOINTS = 20
NOT_FOUND = "webhook not found"
Event = Literal[
    "conversation.created",
    "message.created",
    "conversation.updated",
    "conversation.closed",
    "followup.created",
    "csat.submitted",
]
assert set(Event.__args__) == set(webhook_queue.EVENTS)  # type: ignore[attr-defined]
assert delivery.JOB_KIND == webhook_queue.JOB_KIND  # imported for its handler's registration


class Endpoint(BaseModel):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: str
    updated_at: str


class NewEndpoint(Endpoint):
    secret: str = Field(description="signs every delivery (X-Handoff-Signature); shown only in this answer")


class EndpointList(BaseModel):
    webhooks: list[Endpoint]


class EndpointBody(BaseModel):
    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH, description="http:// or https://")
    events: list[Event] = Field(min_length=1, max_length=len(webhook_queue.EVENTS))


class EndpointPatch(BaseModel):
    url: str | None = Field(default=None, min_length=1, max_length=MAX_URL_LENGTH)
    events: list[Event] | None = Field(default=None, min_length=1, max_length=len(webhook_queue.EVENTS))
    active: bool | None = None


class Attempt(BaseModel):
    status_code: int | None
    error: str | None
    duration_ms: int
    at: str


class Delivery(BaseModel):
    id: int
    delivery_id: str = Field(description="the X-Handoff-Delivery header, the same on every attempt")
    event: str
    conversation_id: int | None
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: str
    delivered_at: str | None
    attempt_log: list[Attempt]


class DeliveryPage(BaseModel):
    deliveries: list[Delivery]
    next_before: int | None


def _checked_url(url: str, ctx: Ctx) -> str:
    url = url.strip()
    if problem := url_problem(url, block_private=ctx.settings.webhook_block_private):
        raise Invalid(problem)
    return url


def _events(events: list[Event]) -> list[str]:
    return [event for event in webhook_queue.EVENTS if event in events]  # one each, in the documented order


@router.get("", response_model=EndpointList)
async def list_webhooks(ctx: Ctx, admin: AdminOnly) -> dict[str, Any]:
    """The tenant's endpoints (never their secrets)."""
    return {"webhooks": await ctx.db.read(partial(store.list_endpoints, tenant_id=admin.tenant_id))}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=NewEndpoint, responses=error_responses(409))
async def create_webhook(body: EndpointBody, ctx: Ctx, admin: AdminOnly) -> dict[str, Any]:
    """Add an endpoint; the answer holds its signing secret, which is never shown again."""
    url = _checked_url(body.url, ctx)
    secret = "whsec_" + secrets.token_urlsafe(32)
    events = _events(body.events)

    def write(conn: sqlite3.Connection) -> dict[str, Any]:
        if store.count_endpoints(conn, admin.tenant_id) >= MAX_ENDPOINTS:
            raise Conflict(f"a business may have at most {MAX_ENDPOINTS} webhooks")
        created = store.insert_endpoint(conn, admin.tenant_id, url, events, ctx.secrets.seal(secret))
        staff_event(conn, admin, "webhook.created", "webhook", created["id"], {"url": url, "events": events})
        return created

    return {**await ctx.db.write(write), "secret": secret}


@router.patch("/{webhook_id}", response_model=Endpoint, responses=error_responses(404))
async def update_webhook(webhook_id: IdPath, body: EndpointPatch, ctx: Ctx, admin: AdminOnly) -> dict[str, Any]:
    """Change an endpoint's URL, events, or pause it (`active: false`: nothing is queued for it)."""
    changes: dict[str, Any] = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if not changes:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "nothing to change: give url, events or active")
    if "url" in changes:
        changes["url"] = _checked_url(changes["url"], ctx)
    if "events" in changes:
        changes["events"] = _events(changes["events"])

    def write(conn: sqlite3.Connection) -> dict[str, Any]:
        updated = store.update_endpoint(conn, admin.tenant_id, webhook_id, changes)
        if updated is None:
            raise NotFound(NOT_FOUND)
        staff_event(conn, admin, "webhook.updated", "webhook", webhook_id, changes)
        return updated

    return await ctx.db.write(write)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(404))
async def delete_webhook(webhook_id: IdPath, ctx: Ctx, admin: AdminOnly) -> None:
    """Remove an endpoint with its delivery log; deliveries still queued for it are dropped."""

    def write(conn: sqlite3.Connection) -> None:
        if not store.delete_endpoint(conn, admin.tenant_id, webhook_id):
            raise NotFound(NOT_FOUND)
        staff_event(conn, admin, "webhook.deleted", "webhook", webhook_id)

    await ctx.db.write(write)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage, responses=error_responses(404))
async def list_deliveries(
    webhook_id: IdPath,
    ctx: Ctx,
    admin: AdminOnly,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    before: BeforeQuery = None,
) -> dict[str, Any]:
    """The endpoint's deliveries, newest first, each with its attempts (status code or error, duration)."""

    def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
        if store.get_endpoint(conn, admin.tenant_id, webhook_id) is None:
            raise NotFound(NOT_FOUND)
        return store.list_deliveries(conn, admin.tenant_id, webhook_id, limit, before)

    deliveries = await ctx.db.read(read)
    next_before = deliveries[-1]["id"] if len(deliveries) == limit else None
    return {"deliveries": deliveries, "next_before": next_before}


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Delivery,
    responses=error_responses(404, 409),
)
async def redeliver(webhook_id: IdPath, delivery_id: IdPath, ctx: Ctx, admin: AdminOnly) -> dict[str, Any]:
    """Send a delivery again (same body and X-Handoff-Delivery, fresh timestamp and signature), with retries
    as for a new one; 409 while it is still pending."""

    def write(conn: sqlite3.Connection) -> dict[str, Any]:
        found = store.get_delivery(conn, admin.tenant_id, webhook_id, delivery_id)
        if found is None:
            raise NotFound("delivery not found")
        if found["state"] == "pending":
            raise Conflict("this delivery is still being attempted")
        store.reopen_delivery(conn, delivery_id)
        webhook_queue.enqueue_delivery(conn, admin.tenant_id, webhook_id, delivery_id, found["conversation_id"])
        staff_event(conn, admin, "webhook.redelivered", "webhook", webhook_id, {"delivery": found["delivery_id"]})
        again = store.get_delivery(conn, admin.tenant_id, webhook_id, delivery_id)
        assert again is not None
        return again

    redelivered = await ctx.db.write(write)
    webhook_queue.take_queued()
    ctx.wake_jobs()
    return redelivered
