"""Email routes: whether email is configured and a test send (Settings), notification preferences, a
follow-up's reply (email, or SMS to its phone), and a conversation's transcript by email (staff and widget).
Each queues a durable job in the write that records it; nothing is sent from the request."""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, EmailStr, Field

from handoff.channels.followup_sms import queue_followup_sms, sms_ready
from handoff.context import AppContext, Ctx, client_ip
from handoff.errors import Conflict, NotFound
from handoff.live import events
from handoff.notify import customer, mail
from handoff.quotas import report, retry_after_seconds
from handoff.store import alerts as prefs_store
from handoff.store import conversations as store
from handoff.store import followups, tenants
from handoff.store.audit import record_event, staff_event
from handoff.web.deps import AdminOnly, CurrentStaff, CurrentVisitor, PublicRateLimit
from handoff.web.params import IdPath
from handoff.web.schemas import Followup

router = APIRouter(tags=["email"])


class EmailStatus(BaseModel):
    configured: bool = Field(description="SMTP_URL is set: the server can send email")
    sender: str = Field(description="the From address (EMAIL_FROM)")
    reset_links_to: str = Field(
        description="where password reset links point (PUBLIC_BASE_URL); empty when it is unset, and links are"
        " then mailed only for requests to a loopback address or the service's Render address"
    )


class TestBody(BaseModel):
    to: EmailStr | None = Field(default=None, description="default: your own address")


class Queued(BaseModel):
    detail: str
    to: str


class Preferences(BaseModel):
    email: bool = Field(description="email me alerts when I am not signed in")
    push: bool = Field(description="browser push alerts")
    sound: bool = Field(description="a sound in the app for new messages")


class PreferencesPatch(BaseModel):
    email: bool | None = None
    push: bool | None = None
    sound: bool | None = None


class ReplyBody(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class TranscriptBody(BaseModel):
    email: EmailStr | None = Field(default=None, description="default: the contact's email")


class WidgetTranscriptBody(BaseModel):
    email: EmailStr


def _need_email(ctx: AppContext) -> None:
    if not mail.configured(ctx):
        raise HTTPException(status.HTTP_409_CONFLICT, "email is not configured on this server (SMTP_URL)")


async def _limit(ctx: AppContext, key: str) -> None:
    """5 in 10 minutes per key: these send mail to addresses the caller chooses."""
    quota = report(await ctx.limits.followups.take(key))
    if not quota.allowed:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many emails requested; try again later",
            headers={"Retry-After": str(retry_after_seconds(quota))},
        )


@router.get("/admin/api/email", response_model=EmailStatus)
async def email_status(staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """Whether this server can send email."""
    configured = mail.configured(ctx)
    return {
        "configured": configured,
        "sender": mail.sender(ctx) if configured else "",
        "reset_links_to": ctx.settings.public_base_url,
    }


@router.post("/admin/api/email/test", status_code=status.HTTP_202_ACCEPTED, response_model=Queued)
async def email_test(body: TestBody, staff: AdminOnly, ctx: Ctx) -> dict[str, Any]:
    """Queue a test email (to yourself unless `to` is given)."""
    _need_email(ctx)
    await _limit(ctx, f"email-test {staff.tenant_id}")
    to = str(body.to or staff.email)

    def write(conn: sqlite3.Connection) -> None:
        tenant = tenants.get(conn, staff.tenant_id)
        business = tenant.name if tenant else "Handoff"
        mail.queue_email(conn, staff.tenant_id, to, "Handoff test email", "test", {"business": business})

    await ctx.db.write(write)
    ctx.wake_jobs()
    return {"detail": "queued", "to": to}


@router.get("/api/v1/me/notifications", response_model=Preferences)
async def get_preferences(staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """Your notification preferences (all on until changed)."""
    prefs = await ctx.db.read(lambda c: prefs_store.preferences(c, staff.tenant_id, staff.id))
    return prefs or dict(prefs_store.DEFAULTS)


@router.patch("/api/v1/me/notifications", response_model=Preferences)
async def set_preferences(body: PreferencesPatch, staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """Change some of your notification preferences."""
    changes = body.model_dump(exclude_none=True)
    return await ctx.db.write(lambda c: prefs_store.set_preferences(c, staff.tenant_id, staff.id, changes))


@router.post("/admin/api/followups/{followup_id}/reply", response_model=Followup)
async def reply_to_followup(followup_id: IdPath, body: ReplyBody, staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """Answer a follow-up: by email to the address it left, else by SMS to its phone when the business has
    SMS; 409 when neither can reach it. The reply is recorded on the follow-up (`reply_*`)."""
    text = body.text.strip()
    if not text:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "text: write a reply")

    def write(conn: sqlite3.Connection) -> dict[str, Any]:
        found = followups.get(conn, staff.tenant_id, followup_id)
        if found is None:
            raise NotFound("follow-up not found")
        via: Literal["email", "sms"]
        if found["email"] and mail.configured(ctx):
            via = "email"
            customer.queue_reply(
                conn,
                staff.tenant_id,
                found["email"],
                name=found["name"],
                agent=staff.name,
                text=text,
                original=found["message"],
            )
        elif found["phone"] and sms_ready(ctx, conn, staff.tenant_id):
            via = "sms"
            queue_followup_sms(conn, staff.tenant_id, found["phone"], text)
        else:
            raise Conflict("this follow-up cannot be answered: email is not configured and SMS is not connected")
        replied = followups.record_reply(conn, staff.tenant_id, followup_id, staff.id, text, via)
        assert replied is not None  # read in this same transaction
        staff_event(conn, staff, "followup.replied", "followup", followup_id, {"via": via})
        return replied

    followup = await ctx.db.write(write)
    ctx.wake_jobs()
    ctx.hub.publish(staff.tenant_id, events.followup(followup))
    return followup


@router.post("/admin/api/conversations/{conversation_id}/transcript", status_code=202, response_model=Queued)
async def email_transcript(
    conversation_id: IdPath, body: TranscriptBody, staff: CurrentStaff, ctx: Ctx
) -> dict[str, Any]:
    """Email the conversation's transcript (never its private notes) to `email`, or to the contact's."""
    _need_email(ctx)

    def write(conn: sqlite3.Connection) -> str:
        row = store.conversation_of_tenant(conn, staff.tenant_id, conversation_id)
        if row is None:
            raise NotFound("conversation not found")
        to = str(body.email or store.contact_by_id(conn, row["contact_id"])["email"] or "")
        if not to:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "email: the contact has no email; give one")
        customer.queue_transcript(conn, staff.tenant_id, row["id"], to)
        staff_event(conn, staff, "conversation.transcript_sent", "conversation", row["id"])
        return to

    to = await ctx.db.write(write)
    ctx.wake_jobs()
    return {"detail": "queued", "to": to}


@router.post("/api/v1/widget/transcript", status_code=202, response_model=Queued, dependencies=[PublicRateLimit])
async def widget_transcript(
    body: WidgetTranscriptBody, visitor: CurrentVisitor, request: Request, ctx: Ctx
) -> dict[str, Any]:
    """The visitor's latest conversation (what they saw of it) emailed to them; at most 5 in 10 minutes per
    client address."""
    _need_email(ctx)
    await _limit(ctx, f"transcript {visitor.tenant_id} {client_ip(request)}")
    to = str(body.email)

    def write(conn: sqlite3.Connection) -> None:
        contact = store.find_contact(conn, visitor.tenant_id, "webchat", visitor.visitor_id)
        row = (
            (store.open_conversation_of(conn, contact["id"]) or store.latest_conversation_of(conn, contact["id"]))
            if contact
            else None
        )
        if contact is None or row is None:
            raise NotFound("no conversation yet")
        customer.queue_transcript(conn, visitor.tenant_id, row["id"], to)
        record_event(
            conn,
            visitor.tenant_id,
            "conversation.transcript_sent",
            actor_type="visitor",
            actor_id=visitor.visitor_id,
            target_type="conversation",
            target_id=row["id"],
        )

    await ctx.db.write(write)
    ctx.wake_jobs()
    return {"detail": "queued", "to": to}
