"""`/admin-ws`: a staff member's live feed of their tenant's events, plus typing and read frames."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, WebSocket

import conversations
from auth import Staff, staff_from_token
from context import AppContext
from hub import Socket
from socket_auth import authenticate

router = APIRouter(tags=["inbox"])
TYPING_EVERY_SECONDS = 1.0


class StaffFrames:
    def __init__(self, ctx: AppContext, staff: Staff) -> None:
        self.ctx, self.staff = ctx, staff
        self.last_typing: dict[int, float] = {}
        self.pending: set[asyncio.Task[None]] = set()

    async def __call__(self, sock: Socket, frame: dict[str, Any]) -> None:
        kind, conversation_id = frame["type"], frame.get("conversation_id")
        if not isinstance(conversation_id, int) or kind not in ("typing", "read"):
            sock.send_event({"type": "error", "detail": "expected typing or read with an integer conversation_id"})
            return
        if kind == "typing":
            await self.typing(conversation_id)
        elif isinstance(frame.get("message_id"), int):
            # Don't hold this socket's reader for a commit: the next frame is read straight away.
            task = asyncio.create_task(
                conversations.staff_read(self.ctx, self.staff, conversation_id, frame["message_id"])
            )
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)
        else:
            sock.send_event({"type": "error", "detail": "read needs an integer message_id"})

    async def typing(self, conversation_id: int) -> None:
        now = time.monotonic()
        if now - self.last_typing.get(conversation_id, 0.0) < TYPING_EVERY_SECONDS:
            return
        self.last_typing[conversation_id] = now
        row = await self.ctx.db.fetchone(
            "SELECT c.channel, ct.external_id FROM conversations c JOIN contacts ct ON ct.id = c.contact_id"
            " WHERE c.id = ? AND c.tenant_id = ?",
            (conversation_id, self.staff.tenant_id),
        )
        if row is None:
            return
        user = {"id": self.staff.id, "name": self.staff.name}
        event = {"type": "typing", "conversation_id": conversation_id, "sender": "staff", "user": user}
        self.ctx.hub.publish(self.staff.tenant_id, event)
        if row["channel"] == "webchat":
            self.ctx.hub.publish(
                self.staff.tenant_id,
                {"type": "typing", "name": self.staff.name},
                staff=False,
                visitor=row["external_id"],
            )


@router.websocket("/admin-ws")
async def staff_socket(websocket: WebSocket) -> None:
    """Staff live connection: tenant events out; typing and read receipts in."""
    ctx: AppContext = websocket.app.state.ctx
    staff = await authenticate(websocket, lambda token: staff_from_token(ctx, token))
    if staff is None:
        return
    sock = Socket(websocket, staff.tenant_id, user_id=staff.id, user_name=staff.name, session_id=staff.session_id)
    ctx.hub.add(sock)
    try:
        await sock.run(StaffFrames(ctx, staff))
    finally:
        ctx.hub.remove(sock)
