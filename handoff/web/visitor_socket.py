"""The visitor socket (`/ws/{visitor_id}`, one per tab): authenticated by the visitor token, then message,
typing, read and resume frames. Messages go in through `channels.webchat.visitor_says`."""

from __future__ import annotations

import re
import time
from functools import partial
from typing import Any

from fastapi import APIRouter, WebSocket

from handoff.channels.webchat import conversation_state, visitor_says
from handoff.context import AppContext, client_ip
from handoff.conversations import reads
from handoff.errors import DomainError
from handoff.identity import Visitor, visitor_from_token
from handoff.live import events
from handoff.live.frames import frame_int
from handoff.live.socket_auth import Forbidden, authenticate, refuse
from handoff.live.sockets import CLOSE_POLICY, Socket
from handoff.store import contacts, csat, tenants, transcripts
from handoff.web.origins import widget_origin_allowed

router = APIRouter(tags=["widget"])
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
TYPING_EVERY_SECONDS = 1.0
MAX_RESUME_MESSAGES = 5000


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
                text, client_id, ids = frame.get("text"), frame.get("client_id"), frame.get("attachment_ids")
                stored = await visitor_says(self.ctx, self.visitor, text, client_id, sock, ids)
                sock.send_event(events.ack(frame.get("client_id"), stored.message["id"]))
            elif kind == "typing":
                await self.typing()
            elif kind == "read":
                message_id = frame_int(frame, "message_id")
                if (contact_id := await self.contact_id()) is not None:
                    await reads.visitor_read(self.ctx, self.visitor.tenant_id, contact_id, message_id)
            elif kind == "resume":
                await self.resume(sock, frame_int(frame, "after", minimum=0))
            else:
                sock.send_event(events.error(f"unknown or malformed frame type {kind!r}"))
        except DomainError as exc:  # invalid, rate limited, or the database unavailable (503): the socket stays
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
                partial(transcripts.transcript_after, contact_id=contact_id, after=after, limit=500)
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
            if state["status"] == "closed" and await self.ctx.db.read(
                partial(csat.unrated, tenant_id=self.visitor.tenant_id, conversation_id=state["id"])
            ):  # a rating prompt the tab missed
                sock.send_event(events.csat(state["id"]))


@router.websocket("/ws/{visitor_id}")
async def visitor_socket(websocket: WebSocket, visitor_id: str) -> None:
    """A visitor's live connection (one per tab)."""
    ctx: AppContext = websocket.app.state.ctx
    if not VISITOR_ID.fullmatch(visitor_id):
        await websocket.close(code=CLOSE_POLICY)  # no token is ever minted for such an id
        return
    address = client_ip(websocket)
    if not await ctx.limits.public_per_ip.allow(address):
        await websocket.close(code=1013)  # refused before the handshake completes: too many from this IP
        return

    async def check(token: str) -> Visitor:
        visitor = visitor_from_token(ctx, token)
        if visitor.visitor_id != visitor_id:
            raise Forbidden("token is for another visitor")
        origin = websocket.headers.get("origin")
        if origin is not None:  # only a browser on some site says; the tenant may limit which sites
            tenant = await ctx.db.read(partial(tenants.get, tenant_id=visitor.tenant_id))
            if tenant is None or not widget_origin_allowed(tenant.settings.get("allowed_origins"), origin):
                raise Forbidden("this site may not use the widget")
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
