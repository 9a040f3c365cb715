"""Follow-up requests: a visitor who could not be answered live leaves contact details for staff."""

from __future__ import annotations

import re
import sqlite3
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, EmailStr, Field, field_validator, model_validator

from handoff.context import Ctx, client_ip
from handoff.errors import NotFound
from handoff.identity import visitor_from_token
from handoff.live import events
from handoff.notify import alerts
from handoff.quotas import report, retry_after_seconds
from handoff.store import conversations as store
from handoff.store import followups, tenants, webhook_queue
from handoff.store.audit import record_event, staff_event
from handoff.store.verified import is_verified
from handoff.web.deps import CurrentStaff, PublicRateLimit, bearer
from handoff.web.params import Id
from handoff.web.schemas import Followup

router = APIRouter(tags=["followups"])
PHONE = re.compile(r"^\+?[0-9 ().-]{6,24}$")


class FollowupBody(BaseModel):
    widget_key: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=120)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=32)
    message: str = Field(min_length=1, max_length=4000)

    @field_validator("phone")
    @classmethod
    def _phone(cls, phone: str | None) -> str | None:
        if phone is not None and phone.strip() and not PHONE.match(phone.strip()):
            raise ValueError("enter a phone number with digits, spaces, +, ( ) or -")
        return (phone.strip() or None) if phone is not None else None

    @model_validator(mode="after")
    def _reachable(self) -> FollowupBody:
        if not self.email and not self.phone:
            raise ValueError("give an email or a phone number so we can get back to you")
        return self


class ViewedBody(BaseModel):
    id: Id


class FollowupCreated(BaseModel):
    id: int


class FollowupPage(BaseModel):
    followups: list[Followup]


@router.post(
    "/followup", status_code=status.HTTP_201_CREATED, dependencies=[PublicRateLimit], response_model=FollowupCreated
)
async def create_followup(
    body: FollowupBody,
    request: Request,
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> dict[str, Any]:
    """Leave a follow-up request (visitor token optional: with it, the request joins the visitor's contact)."""
    tenant = await ctx.db.read(partial(tenants.by_widget_key, widget_key=body.widget_key))
    if tenant is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown widget key")
    tenant_id = tenant.id
    visitor = visitor_from_token(ctx, credentials.credentials) if credentials else None
    if visitor and visitor.tenant_id != tenant_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "visitor token is for another widget")
    # A person leaves one or two; a flood would be stored and pushed to every staff socket of the tenant.
    flood_key = f"{tenant_id} {client_ip(request)}"
    quota = report(await ctx.limits.followups.take(flood_key))
    if not quota.allowed:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many follow-up requests; try again later",
            headers={"Retry-After": str(retry_after_seconds(quota))},
        )

    def write(conn: sqlite3.Connection) -> dict[str, Any]:
        contact_id = conversation_id = None
        if visitor:
            # With require_identity, what a form says about an unverified visitor stays on the follow-up only.
            trusted = not tenant.settings.get("require_identity") or is_verified(conn, tenant_id, visitor.visitor_id)
            contact = store.upsert_contact(
                conn,
                tenant_id,
                "webchat",
                visitor.visitor_id,
                name=body.name.strip() if trusted else None,
                email=body.email if trusted else None,
                phone=body.phone if trusted else None,
            )
            contact_id = contact["id"]
            latest = store.open_conversation_of(conn, contact_id) or store.latest_conversation_of(conn, contact_id)
            conversation_id = latest["id"] if latest else None
        followup = followups.insert(
            conn,
            tenant_id,
            contact_id=contact_id,
            conversation_id=conversation_id,
            name=body.name.strip(),
            email=body.email,
            phone=body.phone,
            message=body.message,
        )
        record_event(
            conn,
            tenant_id,
            "followup.created",
            actor_type="visitor",
            actor_id=visitor.visitor_id if visitor else None,
            target_type="followup",
            target_id=followup["id"],
        )
        webhook_queue.queue_event(conn, tenant_id, "followup.created", {"followup": followup}, conversation_id)
        alerts.queue_alert(
            conn,
            tenant_id,
            "followup",
            user_ids=None,  # the admins
            title=f"New follow-up request from {followup['name']}",
            body=f"{followup['name']} ({followup['email'] or followup['phone']}) wrote:\n\n{followup['message']}",
            path="/admin-app/#/followups",
        )
        return followup

    followup = await ctx.db.write(write)
    ctx.hub.publish(tenant_id, events.followup(followup))
    ctx.wake_jobs()
    return {"id": followup["id"]}


@router.get("/admin/api/followups", response_model=FollowupPage)
async def list_followups(
    staff: CurrentStaff,
    ctx: Ctx,
    status: followups.Viewed = "all",
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> dict[str, Any]:
    """Follow-up requests, newest first."""
    page = partial(followups.page, tenant_id=staff.tenant_id, viewed=status, limit=limit)
    return {"followups": await ctx.db.read(page)}


@router.post("/admin/api/mark-followup-viewed", response_model=Followup)
async def mark_viewed(body: ViewedBody, staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """Mark a follow-up as seen (the first viewer and time are kept)."""

    def write(conn: sqlite3.Connection) -> dict[str, Any]:
        followup = followups.mark_viewed(conn, staff.tenant_id, body.id, staff.id)
        if followup is None:
            raise NotFound("follow-up not found")
        staff_event(conn, staff, "followup.viewed", "followup", body.id)
        return followup

    followup = await ctx.db.write(write)
    ctx.hub.publish(staff.tenant_id, events.followup(followup))
    return followup
