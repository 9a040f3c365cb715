"""Web chat: the widget's HTTP endpoints and the visitor socket, feeding the shared conversation path."""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from functools import partial
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from fastapi import APIRouter, Depends, HTTPException, Query, Request, WebSocket, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from handoff.context import AppContext, Ctx, client_ip
from handoff.conversations import service as conversations
from handoff.errors import Invalid, RateLimited
from handoff.identity import Visitor, mint_visitor_token, unauthorized, visitor_from_token
from handoff.live import events
from handoff.live.frames import frame_int
from handoff.live.hub import CLOSE_POLICY, Socket
from handoff.live.socket_auth import Forbidden, authenticate, refuse
from handoff.store import contacts, tenants
from handoff.store import conversations as store
from handoff.web.deps import CurrentVisitor
from handoff.web.hotpath import bearer_token, body_doc, parse_body
from handoff.web.params import AfterQuery
from handoff.web.schemas import MessagePage, VisitorConversation, WidgetSettings

router = APIRouter(tags=["widget"])
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
TYPING_EVERY_SECONDS = 1.0
MAX_RESUME_MESSAGES = 5000


async def limit_ip(request: Request) -> None:
    """Per-IP ceiling on the public endpoints (async: plain-def dependencies cost a thread hop)."""
    ctx: AppContext = request.app.state.ctx
    if not ctx.limits.public_per_ip.allow(client_ip(request)):
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many requests", headers={"Retry-After": "60"})


PublicRateLimit = Depends(limit_ip)


def checked_text(ctx: AppContext, text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise Invalid("text must be a non-empty string")
    if len(text) > ctx.settings.max_text_length:
        raise Invalid(f"text is longer than {ctx.settings.max_text_length} characters")
    return text


def checked_client_id(client_id: Any) -> str | None:
    if client_id is None:
        return None
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise Invalid("client_id must be 1-64 letters, digits or -_.:")
    return client_id


async def visitor_says(
    ctx: AppContext, visitor: Visitor, text: Any, client_id: Any, origin: Socket | None = None
) -> conversations.Stored:
    """A visitor's message from the socket or `/webchat`: validated, rate limited, stored once."""
    text, client_id = checked_text(ctx, text), checked_client_id(client_id)
    if not ctx.limits.visitor_messages.allow(f"{visitor.tenant_id}:{visitor.visitor_id}"):
        raise RateLimited("too many messages; slow down")
    return await conversations.receive(
        ctx,
        conversations.Inbound(
            tenant_id=visitor.tenant_id,
            channel="webchat",
            contact_key=visitor.visitor_id,
            text=text,
            client_id=client_id,
            external_id=f"{visitor.visitor_id}:{client_id}" if client_id else None,
        ),
        origin,
    )


def conversation_state(conn: sqlite3.Connection, tenant_id: int, visitor_id: str) -> dict[str, Any] | None:
    contact = store.find_contact(conn, tenant_id, "webchat", visitor_id)
    row = contact and (
        store.open_conversation_of(conn, contact["id"]) or store.latest_conversation_of(conn, contact["id"])
    )
    return {"id": row["id"], "status": row["status"], "escalated": bool(row["escalated"])} if row else None


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


class WebchatBody(BaseModel):
    text: str = Field(max_length=100_000)
    client_id: str | None = Field(default=None, max_length=64)


class WidgetSession(BaseModel):
    visitor_id: str
    visitor_token: str = Field(description="send as `Authorization: Bearer` and in the socket's auth frame")
    staff_online: bool
    conversation: VisitorConversation | None = Field(description="the open conversation, else the latest one")
    settings: WidgetSettings


class VisitorClosed(BaseModel):
    closed: bool = Field(description="false when there was no open conversation")
    conversation_id: int | None


@router.post("/api/v1/widget/session", dependencies=[PublicRateLimit], response_model=WidgetSession)
async def widget_session(body: SessionBody, ctx: Ctx) -> dict[str, Any]:
    """Start or resume a visitor: returns the visitor id, its signed token and the widget's settings."""
    tenant = await ctx.db.read(partial(tenants.by_widget_key, widget_key=body.widget_key))
    if tenant is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "unknown widget key")
    tenant_id = tenant.id
    visitor_id = None
    if body.visitor_token:
        try:
            known = visitor_from_token(ctx, body.visitor_token)
        except HTTPException:
            known = None
        if known and known.tenant_id == tenant_id and body.visitor_id in (None, known.visitor_id):
            visitor_id = known.visitor_id
    visitor_id = visitor_id or uuid.uuid4().hex
    email = usable_email(body.email)
    if body.name or email:
        name = (body.name or "").strip() or None
        await ctx.db.write(lambda c: store.upsert_contact(c, tenant_id, "webchat", visitor_id, name=name, email=email))
    conversation = await ctx.db.read(lambda c: conversation_state(c, tenant_id, visitor_id))
    return {
        "visitor_id": visitor_id,
        "visitor_token": mint_visitor_token(ctx, tenant_id, visitor_id),
        "staff_online": ctx.hub.staff_online(tenant_id),
        "conversation": conversation,
        "settings": {"business_name": tenant.name, **tenant.settings},
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
    stored = await visitor_says(ctx, visitor, body.text, body.client_id)
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
        return store.transcript_after(conn, contact["id"], after or 0, limit) if contact else []

    return {"messages": await ctx.db.read(read)}


@router.post("/handoff/close", response_model=VisitorClosed)
async def visitor_close(visitor: CurrentVisitor, ctx: Ctx) -> dict[str, Any]:
    """The visitor ends their open conversation."""
    conversation = await conversations.close_for_visitor(ctx, visitor.tenant_id, visitor.visitor_id)
    return {"closed": conversation is not None, "conversation_id": conversation["id"] if conversation else None}


# ---- the visitor socket ---------------------------------------------------------------------------


class VisitorFrames:
    """Handles one visitor socket's frames; `last_typing` throttles typing events to staff."""

    def __init__(self, ctx: AppContext, visitor: Visitor) -> None:
        self.ctx, self.visitor, self.last_typing = ctx, visitor, 0.0

    async def contact_id(self) -> int | None:
        visitor = self.visitor
        return await self.ctx.db.read(
            partial(contacts.contact_id, tenant_id=visitor.tenant_id, channel="webchat", external_id=visitor.visitor_id)
        )

    async def __call__(self, sock: Socket, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        try:
            if kind == "message":
                stored = await visitor_says(self.ctx, self.visitor, frame.get("text"), frame.get("client_id"), sock)
                sock.send_event(events.ack(frame.get("client_id"), stored.message["id"]))
            elif kind == "typing":
                await self.typing()
            elif kind == "read":
                message_id = frame_int(frame, "message_id")
                if (contact_id := await self.contact_id()) is not None:
                    await conversations.visitor_read(self.ctx, self.visitor.tenant_id, contact_id, message_id)
            elif kind == "resume":
                await self.resume(sock, frame_int(frame, "after", minimum=0))
            else:
                sock.send_event(events.error(f"unknown or malformed frame type {kind!r}"))
        except (Invalid, RateLimited) as exc:
            sock.send_event(events.error(exc.detail, frame.get("client_id")))

    async def typing(self) -> None:
        now = time.monotonic()
        if now - self.last_typing < TYPING_EVERY_SECONDS:
            return
        self.last_typing = now
        visitor = self.visitor
        conversation_id = await self.ctx.db.read(
            partial(
                contacts.open_conversation_id,
                tenant_id=visitor.tenant_id,
                channel="webchat",
                external_id=visitor.visitor_id,
            )
        )
        if conversation_id is not None:
            self.ctx.hub.publish(visitor.tenant_id, events.visitor_typing(conversation_id))

    async def resume(self, sock: Socket, after: int) -> None:
        """Replay, in order, what this visitor missed; the widget dedupes by message id."""
        contact_id = await self.contact_id()
        sent = 0
        while contact_id is not None and sent < MAX_RESUME_MESSAGES:
            page = await self.ctx.db.read(
                partial(store.transcript_after, contact_id=contact_id, after=after, limit=500)
            )
            for message in page:
                sock.send_event(events.message(message))
            if len(page) < 500:
                break
            after, sent = page[-1]["id"], sent + len(page)
        # Also the conversation's state, in case it was closed or escalated while this tab was away.
        state = await self.ctx.db.read(
            partial(conversation_state, tenant_id=self.visitor.tenant_id, visitor_id=self.visitor.visitor_id)
        )
        if state is not None:
            sock.send_event(events.visitor_conversation(state))


@router.websocket("/ws/{visitor_id}")
async def visitor_socket(websocket: WebSocket, visitor_id: str) -> None:
    """A visitor's live connection (one per tab)."""
    ctx: AppContext = websocket.app.state.ctx
    if not VISITOR_ID.fullmatch(visitor_id):
        await websocket.close(code=CLOSE_POLICY)  # no token is ever minted for such an id
        return
    address = client_ip(websocket)
    if not ctx.limits.public_per_ip.allow(address):
        await websocket.close(code=1013)  # refused before the handshake completes: too many from this IP
        return

    async def check(token: str) -> Visitor:
        visitor = visitor_from_token(ctx, token)
        if visitor.visitor_id != visitor_id:
            raise Forbidden("token is for another visitor")
        return visitor

    with ctx.hub.address_slot(address) as admitted:
        if not admitted:
            await websocket.close(code=CLOSE_POLICY)  # before the handshake: answered with HTTP 403
            return
        visitor = await authenticate(websocket, check)
        if visitor is None:
            return
        sock = Socket(websocket, visitor.tenant_id, visitor_id=visitor_id)
        if not ctx.hub.add(sock):
            await refuse(websocket, CLOSE_POLICY, "too many open sockets for this visitor")
            return
        sock.send_event(events.visitor_presence(ctx.hub.staff_online(visitor.tenant_id)))
        try:
            await sock.run(VisitorFrames(ctx, visitor))
        finally:
            ctx.hub.remove(sock)
