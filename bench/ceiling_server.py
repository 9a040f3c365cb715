"""Ceiling server: bare FastAPI/uvicorn fan-in/broadcast with Handoff's wire protocol.

No storage and no auth, so it shows what the stack itself can do; the same load
generator drives it, the naive baseline and Handoff. Run with
`uvicorn ceiling_server:app --app-dir bench --ws-per-message-deflate false`.

Protocol (the same frames as Handoff's visitor and staff sockets, see the README):
- `POST /api/v1/auth/login`, `GET /api/v1/tenant`: dummy staff token / widget key
- `POST /api/v1/widget/session` -> `{visitor_id, visitor_token, staff_online, settings}`
- `WS /ws/{visitor_id}`: first frame `{"type":"auth"}` (unchecked); each
  `{"type":"message","text","client_id"}` is acked and broadcast to every staff socket
- `WS /admin-ws`: first frame auth (unchecked); receives `message` events
- `POST /admin/api/send {conversation_id,text,client_id}`, or a `send` frame on `/admin-ws`: to the
  visitor's sockets
- `POST /webchat {text, client_id}` (Bearer visitor token): broadcast to staff

Every socket has a bounded queue drained by its own sender task, so one slow
reader never stalls the broadcast; a reader whose queue overflows is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fastapi import FastAPI, Header, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from pydantic import BaseModel

QUEUE_MAX = 1024
AUTH_TIMEOUT = 5.0

# store(conversation_id, sender, text, client_id) -> message id
Store = Callable[[int, str, str, str | None], int]
# the same, returning once the message is durable (durable_server.py)
DurableStore = Callable[[int, str, str, str | None], Awaitable[int]]


class Login(BaseModel):
    email: str
    password: str


class SessionIn(BaseModel):
    widget_key: str
    visitor_id: str | None = None
    visitor_token: str | None = None


class StaffSend(BaseModel):
    conversation_id: int
    text: str
    client_id: str | None = None


class WebchatIn(BaseModel):
    text: str
    client_id: str | None = None


class Peer:
    """A socket plus its bounded outbound queue and sender task."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_MAX)
        self.task = asyncio.create_task(self._pump())
        self.dead = False
        self.closer: asyncio.Task[None] | None = None

    def push(self, frame: str) -> None:
        if self.dead:
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.dead = True
            self.task.cancel()
            self.closer = asyncio.create_task(self._close_slow())

    async def _close_slow(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code=1013, reason="too slow")

    async def _pump(self) -> None:
        ws, queue = self.ws, self.queue
        with contextlib.suppress(Exception):
            while True:
                await ws.send_text(await queue.get())

    def stop(self) -> None:
        self.dead = True
        self.task.cancel()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_app(store: Store | None = None, durable: DurableStore | None = None) -> FastAPI:
    """The ceiling app; `store` stores each message synchronously (naive), `durable` awaits it (the floor)."""
    app = FastAPI(title="bench naive" if store else "bench durable floor" if durable else "bench ceiling")
    counter = itertools.count(1)
    conv_counter = itertools.count(1)
    conv_of: dict[str, int] = {}  # visitor_id -> conversation id
    visitor_of: dict[int, str] = {}  # conversation id -> visitor_id
    visitors: dict[str, set[Peer]] = {}
    staff: set[Peer] = set()

    def conversation(visitor_id: str) -> int:
        conv = conv_of.get(visitor_id)
        if conv is None:
            conv = conv_of[visitor_id] = next(conv_counter)
            visitor_of[conv] = visitor_id
        return conv

    async def new_message(conv: int, sender: str, text: str, client_id: str | None) -> dict:
        if durable is not None:
            mid = await durable(conv, sender, text, client_id)
        else:
            mid = next(counter) if store is None else store(conv, sender, text, client_id)
        return {
            "id": mid,
            "conversation_id": conv,
            "channel": "webchat",
            "sender": sender,
            "text": text,
            "client_id": client_id,
            "created_at": now_iso(),
        }

    def to_staff(frame: str) -> None:
        for peer in tuple(staff):
            peer.push(frame)

    async def authenticate(ws: WebSocket) -> bool:
        await ws.accept()
        if ws.query_params.get("token"):
            return True
        try:
            first = await asyncio.wait_for(ws.receive_text(), AUTH_TIMEOUT)
            return json.loads(first).get("type") == "auth"
        except (TimeoutError, ValueError, AttributeError, WebSocketDisconnect):
            return False

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.post("/api/v1/auth/login")
    async def login(body: Login) -> JSONResponse:
        user = {"id": 1, "email": body.email, "name": "Bench", "role": "admin", "tenant_id": 1}
        return JSONResponse({"access_token": "staff", "refresh_token": "r", "token_type": "bearer", "user": user})

    @app.get("/api/v1/tenant")
    async def tenant() -> JSONResponse:
        return JSONResponse({"id": 1, "name": "Bench", "widget_key": "bench", "settings": {}})

    @app.post("/api/v1/widget/session")
    async def session(body: SessionIn) -> JSONResponse:
        vid = body.visitor_id or str(uuid.uuid4())
        conversation(vid)
        return JSONResponse(
            {"visitor_id": vid, "visitor_token": f"v.{vid}", "staff_online": bool(staff)}
            | {"conversation": None, "settings": {}}
        )

    @app.post("/webchat")
    async def webchat(body: WebchatIn, authorization: str = Header("")) -> JSONResponse:
        vid = authorization.removeprefix("Bearer ").removeprefix("v.") or "anonymous"
        msg = await new_message(conversation(vid), "visitor", body.text, body.client_id)
        to_staff(json.dumps({"type": "message", "message": msg}))
        return JSONResponse({"conversation_id": msg["conversation_id"], "message_id": msg["id"]})

    @app.post("/admin/api/send")
    async def staff_send(body: StaffSend, request: Request) -> JSONResponse:
        vid = visitor_of.get(body.conversation_id)
        if vid is None:
            return JSONResponse({"detail": "conversation not found"}, status_code=404)
        msg = await new_message(body.conversation_id, "staff", body.text, body.client_id)
        frame = json.dumps({"type": "message", "message": msg})
        for peer in tuple(visitors.get(vid, ())):
            peer.push(frame)
        to_staff(frame)
        return JSONResponse({"message_id": msg["id"], "message": msg})

    @app.websocket("/ws/{visitor_id}")
    async def visitor_ws(ws: WebSocket, visitor_id: str) -> None:
        if not await authenticate(ws):
            await ws.close(code=4401)
            return
        peer = Peer(ws)
        visitors.setdefault(visitor_id, set()).add(peer)
        peer.push(json.dumps({"type": "presence", "staff_online": bool(staff)}))
        try:
            while True:
                raw = await ws.receive_text()
                try:
                    event = json.loads(raw)
                    kind = event["type"]
                except (ValueError, KeyError, TypeError):
                    peer.push('{"type":"error","detail":"malformed frame"}')
                    continue
                if kind != "message":
                    continue
                cid = event.get("client_id")
                msg = await new_message(conversation(visitor_id), "visitor", event["text"], cid)
                peer.push(json.dumps({"type": "ack", "client_id": cid, "message_id": msg["id"]}))
                to_staff(json.dumps({"type": "message", "message": msg}))
        except WebSocketDisconnect:
            pass
        finally:
            peer.stop()
            peers = visitors.get(visitor_id)
            if peers is not None:
                peers.discard(peer)
                if not peers:
                    del visitors[visitor_id]

    @app.websocket("/admin-ws")
    async def staff_ws(ws: WebSocket) -> None:
        if not await authenticate(ws):
            await ws.close(code=4401)
            return
        peer = Peer(ws)
        staff.add(peer)
        peer.push('{"type":"presence","staff_online":true,"online_user_ids":[1]}')
        try:
            while True:
                raw = await ws.receive_text()  # typing / read: ignored; send: a staff reply
                event = json.loads(raw)
                if event.get("type") != "send":
                    continue
                vid = visitor_of.get(event.get("conversation_id"))
                if vid is None:
                    peer.push('{"type":"error","detail":"conversation not found"}')
                    continue
                msg = await new_message(event["conversation_id"], "staff", event["text"], event.get("client_id"))
                frame = json.dumps({"type": "message", "message": msg})
                for visitor_peer in tuple(visitors.get(vid, ())):
                    visitor_peer.push(frame)
                peer.push(json.dumps({"type": "ack", "client_id": event.get("client_id"), "message_id": msg["id"]}))
                to_staff(frame)
        except (WebSocketDisconnect, ValueError, KeyError):
            pass
        finally:
            peer.stop()
            staff.discard(peer)

    return app


app = build_app()
