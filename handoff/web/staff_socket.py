"""`/admin-ws`: a staff member's live feed of their tenant's events, plus typing, read and send frames.

`{"type": "send", "conversation_id", "text", "client_id", "private"?, "mentions"?}` is the socket twin of `POST /admin/api/send`:
answered with `{"type": "ack", "client_id", "message_id"}` once committed, or an `error` frame.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from functools import partial
from typing import Any

from fastapi import APIRouter, WebSocket
from pydantic import ValidationError

from handoff.context import AppContext, client_ip
from handoff.conversations import reads
from handoff.errors import DomainError, Invalid
from handoff.identity import Staff, staff_from_token
from handoff.live import events
from handoff.live.frames import frame_int
from handoff.live.socket_auth import authenticate
from handoff.live.sockets import CLOSE_POLICY, Socket
from handoff.routing import agents
from handoff.store import conversations as store
from handoff.web.inbox import SendBody, send_message

router = APIRouter(tags=["inbox"])
TYPING_EVERY_SECONDS = 1.0


class StaffFrames:
    def __init__(self, ctx: AppContext, staff: Staff) -> None:
        self.ctx, self.staff = ctx, staff
        self.last_typing: dict[int, float] = {}
        self.pending: set[asyncio.Task[None]] = set()
        # SQLite's one writer stores writes in the order they were queued; PostgreSQL runs them concurrently,
        # so there each send waits for the one before it.
        self.chain_sends = bool(ctx.settings.database_url)
        self.last_send: asyncio.Task[None] | None = None

    async def __call__(self, sock: Socket, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind not in ("typing", "read", "send"):
            sock.send_event(events.error(f"expected typing, read or send, not {kind!r}"))
            return
        try:
            conversation_id = frame_int(frame, "conversation_id")
            message_id = frame_int(frame, "message_id") if kind == "read" else 0
        except Invalid as exc:
            sock.send_event(events.error(exc.detail, frame.get("client_id")))
            return
        if kind == "typing":
            await self.typing(conversation_id)
        elif kind == "send":
            after = self.last_send if self.chain_sends else None
            self.last_send = self.in_background(self.send(sock, frame, after), sock)
        else:
            self.in_background(reads.staff_read(self.ctx, self.staff, conversation_id, message_id), sock)

    def in_background(self, work: Coroutine[Any, Any, None], sock: Socket) -> asyncio.Task[None]:
        """Don't hold this socket's reader for a commit: the next frame is read straight away. Tasks start
        in arrival order, so one member's sends are stored in the order they were typed. A shutdown waits
        for them and sends their acks before it closes the socket (`sock.track`)."""
        task = asyncio.create_task(work)
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)
        sock.track(task)
        return task

    async def send(self, sock: Socket, frame: dict[str, Any], after: asyncio.Task[None] | None = None) -> None:
        client_id = frame.get("client_id")
        if after is not None:
            await asyncio.wait([after])  # its outcome is its own; only the order matters here
        try:
            given = {k: frame.get(k) for k in ("conversation_id", "text", "client_id")}
            given.update({k: frame[k] for k in ("private", "mentions") if k in frame})
            body = SendBody.model_validate(given)
            stored = await send_message(self.ctx, self.staff, body)
        except ValidationError as exc:
            detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            sock.send_event(events.error(detail, client_id))
        except DomainError as exc:
            sock.send_event(events.error(exc.detail, client_id))
        else:
            sock.send_event(events.ack(client_id, stored.message["id"]))

    async def typing(self, conversation_id: int) -> None:
        now = time.monotonic()
        if now - self.last_typing.get(conversation_id, 0.0) < TYPING_EVERY_SECONDS:
            return
        self.last_typing[conversation_id] = now
        row = await self.ctx.db.read(
            partial(store.channel_and_contact, tenant_id=self.staff.tenant_id, conversation_id=conversation_id)
        )
        if row is None:
            return
        self.ctx.hub.publish(self.staff.tenant_id, events.staff_typing(conversation_id, self.staff.id, self.staff.name))
        if row["channel"] == "webchat":
            self.ctx.hub.publish(
                self.staff.tenant_id,
                events.agent_typing(self.staff.name),
                staff=False,
                visitor=row["external_id"],
            )


@router.websocket("/admin-ws")
async def staff_socket(websocket: WebSocket) -> None:
    """Staff live connection: tenant events out; typing and read receipts in."""
    ctx: AppContext = websocket.app.state.ctx
    with ctx.hub.address_slot(client_ip(websocket)) as admitted:
        if not admitted:
            await websocket.close(code=CLOSE_POLICY)  # before the handshake: answered with HTTP 403
            return
        staff = await authenticate(websocket, lambda token: staff_from_token(ctx, token))
        if staff is None:
            return
        sock = Socket(websocket, staff.tenant_id, user_id=staff.id, session_id=staff.session_id)
        await agents.connecting(ctx, staff)
        ctx.hub.add(sock)
        frames = StaffFrames(ctx, staff)
        try:
            await agents.connected(ctx, staff)
            await sock.run(frames)
        finally:
            ctx.hub.remove(sock)
            # Sends read before the socket closed still commit; on shutdown uvicorn waits for this handler,
            # so they do so before the database closes.
            await asyncio.gather(*frames.pending, return_exceptions=True)
