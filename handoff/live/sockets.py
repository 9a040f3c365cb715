"""One connected client's socket: a bounded queue of frames and its own sender task, so a slow client is
disconnected rather than waited for, and the reader that hands each incoming frame to its handler. The hub
(handoff/live/hub.py) keeps the sockets and fans events out to them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from handoff.errors import DomainError
from handoff.live import events

log = logging.getLogger("handoff.hub")

MAX_FRAME_BYTES = 64 * 1024
# A visitor gets a handful of frames per message; a staff socket gets every event of its tenant, and one
# group commit can release a whole batch (db.MAX_BATCH) at once, so its queue must hold several batches.
VISITOR_QUEUE_FRAMES = 256
STAFF_QUEUE_FRAMES = 8192
# And in characters: long messages make big frames, and a stalled client must not hold 8192 of them (~70 MB).
VISITOR_QUEUE_CHARS = 1 << 20
STAFF_QUEUE_CHARS = 8 << 20
CLOSE_RESTARTING = 1012  # "service restart": the client reconnects (to the next process) and resumes
# On shutdown: how long a socket may take to answer the frame in hand and send what is queued.
STOP_GRACE_SECONDS = 5.0
CLOSE_TOO_SLOW = 1013  # "try again later": the client reconnects and resumes from its last message id
CLOSE_TOO_BIG = 1009
CLOSE_POLICY = 1008  # over a cap on open sockets

FrameHandler = Callable[["Socket", dict[str, Any]], Awaitable[None]]


def _client_id(frame: dict[str, Any]) -> str | None:
    client_id = frame.get("client_id")
    return client_id if isinstance(client_id, str) and len(client_id) <= 64 else None


def encode(event: events.Event) -> str:
    # orjson: the staff event (message + conversation) is encoded once per message; stdlib json was a
    # sixth of the server's CPU at load.
    return orjson.dumps(event).decode()


class Socket:
    """One connected client: visitor (keyed by visitor id) or staff (keyed by user and session)."""

    __slots__ = (
        "_in_handler",
        "_stopping",
        "_tasks",
        "_work",
        "closing",
        "max_chars",
        "queue",
        "queued_chars",
        "session_id",
        "tenant_id",
        "user_id",
        "visitor_id",
        "ws",
    )

    def __init__(
        self,
        ws: WebSocket,
        tenant_id: int,
        *,
        visitor_id: str | None = None,
        user_id: int | None = None,
        session_id: str | None = None,
    ) -> None:
        self.ws = ws
        self.tenant_id = tenant_id
        self.visitor_id = visitor_id
        self.user_id = user_id
        self.session_id = session_id
        self.queue: asyncio.Queue[str] = asyncio.Queue(
            VISITOR_QUEUE_FRAMES if visitor_id is not None else STAFF_QUEUE_FRAMES
        )
        self.queued_chars = 0
        self.max_chars = VISITOR_QUEUE_CHARS if visitor_id is not None else STAFF_QUEUE_CHARS
        self.closing: tuple[int, str] | None = None
        self._tasks: tuple[asyncio.Task[None], ...] = ()
        self._stopping: tuple[int, str] | None = None  # stop() was called: close once the frame in hand is done
        self._in_handler = False
        self._work: set[asyncio.Task[None]] = set()  # frames answered beside the reader (staff sends)

    def offer(self, frame: str) -> None:
        """Queue a frame without waiting; a client too far behind is disconnected, never waited for."""
        if self.closing:
            return
        if self.queue.full() or self.queued_chars + len(frame) > self.max_chars:
            log.warning(
                "socket fell %d frames (%d characters) behind; disconnecting it", self.queue.qsize(), self.queued_chars
            )
            self.close(CLOSE_TOO_SLOW, "too slow; reconnect and resume")
            return
        self.queue.put_nowait(frame)
        self.queued_chars += len(frame)

    def send_event(self, event: events.Event) -> None:
        self.offer(encode(event))

    def close(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = (code, reason)
        for task in self._tasks:
            task.cancel()

    def stop(self, code: int, reason: str) -> None:
        """Close gracefully (shutdown): read no further frame, but answer the one in hand and send what is
        queued first, then close with `code` by a proper closing handshake."""
        if self.closing or self._stopping:
            return
        self._stopping = (code, reason)
        if len(self._tasks) == 2 and not self._in_handler:
            self._tasks[1].cancel()  # waiting for the next frame: stop waiting

    def track(self, work: asyncio.Task[None]) -> None:
        """A frame's work that runs beside the reader: a graceful stop waits for it (and its answer)."""
        self._work.add(work)
        work.add_done_callback(self._work.discard)

    async def _finish_in_flight(self) -> None:
        with contextlib.suppress(Exception):  # out of time, or the client left: close anyway
            async with asyncio.timeout(STOP_GRACE_SECONDS):
                if self._work:
                    await asyncio.wait(self._work)
                while not self.queue.empty():
                    frame = self.queue.get_nowait()
                    self.queued_chars -= len(frame)
                    await self.ws.send_text(frame)

    async def _send_loop(self) -> None:
        while True:
            frame = await self.queue.get()
            self.queued_chars -= len(frame)
            await self.ws.send_text(frame)

    async def _receive_loop(self, handle: FrameHandler) -> None:
        while not self._stopping:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None and message.get("bytes") is not None:
                text = message["bytes"].decode("utf-8", "replace")
            if text is None:
                continue
            if len(text) > MAX_FRAME_BYTES or len(text.encode()) > MAX_FRAME_BYTES:
                self.close(CLOSE_TOO_BIG, "frame larger than 64 KiB")
                return
            try:
                frame = orjson.loads(text)
            except orjson.JSONDecodeError:
                self.send_event(events.error("frame is not valid JSON"))
                continue
            if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
                self.send_event(events.error("frame must be an object with a string 'type'"))
                continue
            self._in_handler = True
            try:
                await handle(self, frame)
            except DomainError as exc:  # e.g. the database unavailable: refused, and the socket stays open
                self.send_event(events.error(exc.detail, _client_id(frame)))
            except Exception:
                log.exception("socket frame %r failed", frame["type"][:40])
                self.send_event(events.error("internal error", _client_id(frame)))
            finally:
                self._in_handler = False

    async def run(self, handle: FrameHandler) -> None:
        """Receive and send concurrently until either side ends or `close()` is called."""
        sender = asyncio.create_task(self._send_loop())
        receiver = asyncio.create_task(self._receive_loop(handle))
        self._tasks = (sender, receiver)
        try:
            await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
                    await task
            errors = [t.exception() for t in self._tasks if not t.cancelled() and t.exception()]
            unexpected = [e for e in errors if not isinstance(e, WebSocketDisconnect | OSError)]
            if unexpected:
                log.error("socket task failed", exc_info=unexpected[0])
                self.closing = self.closing or (1011, "internal error")
            if self._stopping and not self.closing:
                await self._finish_in_flight()  # its answers are still queued: `closing` is set after
                self.closing = self.closing or self._stopping
            if self.ws.application_state == WebSocketState.CONNECTED:
                code, reason = self.closing or (1000, "")
                with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
                    await self.ws.close(code, reason)
