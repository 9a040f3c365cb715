"""The widget's HTTP endpoints: start or resume a visitor session, send a message over HTTP (the fallback
when sockets are blocked), read the transcript, close the conversation. Messages go in through
`channels.webchat.visitor_says`."""

from __future__ import annotations

import sqlite3
import uuid
from functools import partial
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from handoff.channels.webchat import conversation_state, visitor_says
from handoff.context import AppContext, Ctx
from handoff.conversations import service as conversations
from handoff.identity import mint_visitor_token, unauthorized, visitor_from_token
from handoff.routing import hours, texts
from handoff.store import conversations as store
from handoff.store import tenants, transcripts
from handoff.verified import link_verified, verified_user, visitor_id_for
from handoff.web.deps import CurrentVisitor, PublicRateLimit, limit_ip
from handoff.web.hotpath import bearer_token, body_doc, parse_body
from handoff.web.origins import widget_origin_allowed
from handoff.web.params import AfterQuery, Id
from handoff.web.schemas import MessagePage, VisitorConversation, WidgetSettings, error_responses

router = APIRouter(tags=["widget"])


def usable_email(raw: str | None) -> str | None:
    if not raw or not raw.strip():
        return None
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


class SessionBody(BaseModel):
    widget_key: str = Field(min_length=1, max_length=100)
    visitor_id: str | None = Field(default=None, max_length=64)
    visitor_token: str | None = Field(default=None, max_length=4096)
    name: str | None = Field(default=None, max_length=120)
    # Optional and only informative: an address the validator dislikes is dropped, never a failed session.
    email: str | None = Field(default=None, max_length=254)
    # Verified identity: both or neither; a wrong pair is 401 and nothing is linked.
    user_id: str | None = Field(default=None, min_length=1, max_length=256, description="the host site's user id")
    user_hash: str | None = Field(
        default=None, max_length=128, description="hex(HMAC-SHA256(identity_secret, user_id))"
    )


class WebchatBody(BaseModel):
    text: str = Field(default="", max_length=100_000, description="may be empty when attachment_ids are given")
    client_id: str | None = Field(default=None, max_length=64)
    attachment_ids: list[Id] | None = Field(default=None, max_length=10, description="the visitor's own uploads")


class WidgetSession(BaseModel):
    visitor_id: str
    visitor_token: str = Field(description="send as `Authorization: Bearer` and in the socket's auth frame")
    staff_online: bool = Field(description="someone is available and the business is open")
    open_now: bool = Field(description="within business hours (always, when none are set)")
    conversation: VisitorConversation | None = Field(description="the open conversation, else the latest one")
    settings: WidgetSettings


class VisitorClosed(BaseModel):
    closed: bool = Field(description="false when there was no open conversation")
    conversation_id: int | None


@router.post(
    "/api/v1/widget/session",
    dependencies=[PublicRateLimit],
    response_model=WidgetSession,
    responses=error_responses(401),
)
async def widget_session(body: SessionBody, request: Request, ctx: Ctx) -> dict[str, Any]:
    """Start or resume a visitor: returns the visitor id, its signed token and the widget's settings. 403 when
    the tenant lists `allowed_origins` and the page asking is on another site. With a valid `user_id` and
    `user_hash` the visitor is that user's one visitor on every device (a wrong pair is 401); with the
    `require_identity` setting a name or email without a valid pair is ignored."""
    tenant = await ctx.db.read(partial(tenants.by_widget_key, widget_key=body.widget_key))
    if tenant is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown widget key")
    if not widget_origin_allowed(tenant.settings.get("allowed_origins"), request.headers.get("origin")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this site may not use the widget")
    tenant_id = tenant.id
    visitor_id = None
    if body.visitor_token:
        try:
            known = visitor_from_token(ctx, body.visitor_token)
        except HTTPException:
            known = None
        if known and known.tenant_id == tenant_id and body.visitor_id in (None, known.visitor_id):
            visitor_id = known.visitor_id
    user_id = await verified_user(ctx, tenant_id, body.user_id, body.user_hash)
    previous, visitor_id = visitor_id, (visitor_id_for(user_id) if user_id is not None else visitor_id)
    visitor_id = visitor_id or uuid.uuid4().hex
    email = usable_email(body.email)
    name = (body.name or "").strip() or None
    if user_id is None and tenant.settings.get("require_identity"):
        name = email = None
    if user_id is not None:
        await link_verified(ctx, tenant_id, visitor_id, user_id, name=name, email=email, previous=previous)
    elif name or email:
        await ctx.db.write(lambda c: store.upsert_contact(c, tenant_id, "webchat", visitor_id, name=name, email=email))
    conversation = await ctx.db.read(lambda c: conversation_state(c, tenant_id, visitor_id))
    open_now = hours.is_open(tenant.settings)
    away_message = (tenant.settings.get("away_message") or "").strip() or texts.say("away", tenant.settings["language"])
    return {
        "visitor_id": visitor_id,
        "visitor_token": mint_visitor_token(ctx, tenant_id, visitor_id),
        "staff_online": open_now and ctx.hub.staff_online(tenant_id),
        "open_now": open_now,
        "conversation": conversation,
        "settings": {"business_name": tenant.name, **tenant.settings, "away_message": away_message},
    }


class WebchatAccepted(BaseModel):
    conversation_id: int
    message_id: int


@router.post("/webchat", openapi_extra=body_doc(WebchatBody), response_model=WebchatAccepted)
async def webchat_message(request: Request) -> JSONResponse:
    """Send a visitor message over HTTP (the widget's fallback when sockets are blocked)."""
    ctx: AppContext = request.app.state.ctx
    await limit_ip(request)
    token = bearer_token(request)
    if token is None:
        raise unauthorized("visitor token required")
    visitor = visitor_from_token(ctx, token)
    body = await parse_body(request, WebchatBody)
    stored = await visitor_says(ctx, visitor, body.text, body.client_id, attachment_ids=body.attachment_ids)
    return JSONResponse({"conversation_id": stored.message["conversation_id"], "message_id": stored.message["id"]})


@router.get("/api/v1/widget/messages", response_model=MessagePage, response_model_exclude_unset=True)
async def widget_messages(
    visitor: CurrentVisitor,
    ctx: Ctx,
    after: AfterQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> dict[str, Any]:
    """The visitor's transcript after a message id, oldest first."""

    def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
        contact = store.find_contact(conn, visitor.tenant_id, "webchat", visitor.visitor_id)
        return transcripts.transcript_after(conn, contact["id"], after or 0, limit) if contact else []

    return {"messages": await ctx.db.read(read)}


@router.post("/handoff/close", response_model=VisitorClosed)
async def visitor_close(visitor: CurrentVisitor, ctx: Ctx) -> dict[str, Any]:
    """The visitor ends their open conversation."""
    conversation = await conversations.close_for_visitor(ctx, visitor.tenant_id, visitor.visitor_id)
    return {"closed": conversation is not None, "conversation_id": conversation["id"] if conversation else None}
