"""The WebSocket hub: every socket gets a bounded queue and its own sender task, and `publish()` is the one
way an event leaves the server. With several processes (REDIS_URL) the hub also hands each encoded frame to
the backplane (handoff/live/backplane.py), which delivers it to the other processes' sockets; this process's
own sockets always get it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from handoff.errors import DomainError
from handoff.live import events
from handoff.live.backplane import Backplane, InProcess

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
# A visitor's tabs; more than this is a script, not a person.
SOCKETS_PER_VISITOR = 10

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


class Hub:
    """Who is connected, per tenant; fans events out to their queues. Also how many sockets each client
    address holds open, from the handshake on, so one address cannot pile them up."""

    def __init__(self, sockets_per_address: int = 100, backplane: Backplane | None = None) -> None:
        self._visitors: dict[int, dict[str, set[Socket]]] = {}
        self._staff: dict[int, set[Socket]] = {}
        self.sockets_per_address = sockets_per_address
        self._per_address: dict[str, int] = {}
        self.backplane: Backplane = backplane or InProcess()
        self.backplane.attach(self)
        self._shared = self.backplane.shared
        # Told when a staff member's cached tokens must go (auth.revoked, auth.user_changed): the token caches.
        self._staff_forgetters: list[Callable[[str, int], None]] = []
        self.stopping = False  # shutting down: every socket, even one opening now, is closed with 1012
        self._closing_left: set[Socket] = set()
        self._all_closed = asyncio.Event()

    # -- membership ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def address_slot(self, address: str) -> Iterator[bool]:
        """Hold one of `address`'s places for the life of a socket, from before its handshake (so sockets
        still authenticating count too); yields False, holding nothing, when the address is at its cap."""
        held = self._per_address.get(address, 0)
        if held >= self.sockets_per_address:
            yield False
            return
        self._per_address[address] = held + 1
        try:
            yield True
        finally:
            left = self._per_address.pop(address) - 1
            if left:
                self._per_address[address] = left

    def add(self, sock: Socket) -> bool:
        """Register an authenticated socket; False (and not registered) when its visitor already has
        SOCKETS_PER_VISITOR open. Staff sockets are only bounded per address."""
        if sock.visitor_id is not None:
            tabs = self._visitors.setdefault(sock.tenant_id, {}).setdefault(sock.visitor_id, set())
            if len(tabs) >= SOCKETS_PER_VISITOR:
                return False
            tabs.add(sock)
        else:
            was_online = self.staff_online(sock.tenant_id)
            self._staff.setdefault(sock.tenant_id, set()).add(sock)
            self._staff_changed(sock.tenant_id, was_online=was_online)
        if self.stopping:  # opened during a shutdown: closed at once (it reconnects to the next process)
            sock.stop(CLOSE_RESTARTING, "server restarting")
            self._closing_left.add(sock)
        return True

    def remove(self, sock: Socket) -> None:
        if self._closing_left:
            self._closing_left.discard(sock)
            if not self._closing_left:
                self._all_closed.set()
        if sock.visitor_id is not None:
            visitors = self._visitors.get(sock.tenant_id, {})
            tabs = visitors.get(sock.visitor_id)
            if tabs is not None:
                tabs.discard(sock)
                if not tabs:
                    del visitors[sock.visitor_id]
            return
        staff = self._staff.get(sock.tenant_id)
        if staff is None or sock not in staff:
            return
        was_online = self.staff_online(sock.tenant_id)
        staff.discard(sock)
        if not staff:
            del self._staff[sock.tenant_id]
        self._staff_changed(sock.tenant_id, was_online=was_online)

    def _staff_changed(self, tenant_id: int, *, was_online: bool) -> None:
        if self._shared:
            here = sorted({s.user_id or 0 for s in self._staff.get(tenant_id, ())})
            self.backplane.local_staff(tenant_id, here)
        self._announce_presence(tenant_id, was_online=was_online)

    def _announce_presence(self, tenant_id: int, *, was_online: bool) -> None:
        """To this process's sockets only (every process announces to its own): the staff list to staff, and
        to every visitor's widget when the tenant went from no staff to some, or back."""
        online = self.staff_online(tenant_id)
        frame = encode(events.staff_presence(online, sorted(self.online_user_ids(tenant_id))))
        for sock in self._staff.get(tenant_id, ()):
            sock.offer(frame)
        if online != was_online:
            frame = encode(events.visitor_presence(online))
            for tabs in self._visitors.get(tenant_id, {}).values():
                for sock in tabs:
                    sock.offer(frame)

    def presence_elsewhere_changed(self, tenant_id: int, *, was_online: bool) -> None:
        """The backplane saw another process's staff of this tenant change (or expire)."""
        self._announce_presence(tenant_id, was_online=bool(self._staff.get(tenant_id)) or was_online)

    def online_user_ids(self, tenant_id: int) -> set[int]:
        """Staff user ids connected to any process (the backplane keeps the other processes' in memory)."""
        here = {s.user_id for s in self._staff.get(tenant_id, ()) if s.user_id is not None}
        elsewhere = self.backplane.staff_elsewhere(tenant_id) if self._shared else None
        return here | (elsewhere - {0}) if elsewhere else here

    def visitor_connected(self, tenant_id: int, visitor_id: str) -> bool:
        """Whether the visitor has a socket open on this process (two dictionary lookups: safe from the
        database's writer thread)."""
        return bool(self._visitors.get(tenant_id, {}).get(visitor_id))

    def staff_online(self, tenant_id: int) -> bool:
        """Any staff socket of the tenant on any process; no Redis round trip (a dictionary lookup)."""
        if self._staff.get(tenant_id):
            return True
        return self._shared and bool(self.backplane.staff_elsewhere(tenant_id))

    def counts(self) -> dict[str, int]:
        return {
            "visitor_sockets": sum(len(t) for v in self._visitors.values() for t in v.values()),
            "staff_sockets": sum(len(s) for s in self._staff.values()),
        }

    # -- delivery -----------------------------------------------------------------------------------

    def publish(
        self,
        tenant_id: int,
        event: events.Event,
        *,
        staff: bool = True,
        visitor: str | None = None,
        skip: Socket | None = None,
        users: frozenset[int] | None = None,
    ) -> None:
        """The single way events go out: to the tenant's staff sockets and/or one visitor's sockets (all tabs).

        Serialises once and only enqueues, so it never waits on a slow client. `skip` is the socket the
        event came from when it already has it (a visitor's own message: that tab got its ack). `users`
        narrows the staff sockets to those members' (a mention).
        """
        frame = encode(event)
        if staff:
            for sock in self._staff.get(tenant_id, ()):
                if users is None or sock.user_id in users:
                    sock.offer(frame)
        if visitor is not None:
            for sock in self._visitors.get(tenant_id, {}).get(visitor, ()):
                if sock is not skip:
                    sock.offer(frame)
        if self._shared:  # `skip` is one of ours: the other processes deliver to all their sockets
            self.backplane.forward(tenant_id, frame, staff=staff, visitor=visitor, users=users)

    def deliver(
        self, tenant_id: int, frame: str, *, staff: bool, visitor: str | None, users: frozenset[int] | None = None
    ) -> None:
        """An already-encoded frame from another process, to this process's sockets."""
        if staff:
            for sock in self._staff.get(tenant_id, ()):
                if users is None or sock.user_id in users:
                    sock.offer(frame)
        if visitor is not None:
            for sock in self._visitors.get(tenant_id, {}).get(visitor, ()):
                sock.offer(frame)

    def close_staff(self, *, session_id: str | None = None, user_id: int | None = None, reason: str) -> None:
        """Close staff sockets whose session was revoked or whose user was disabled, on every process."""
        self.close_staff_here(session_id=session_id, user_id=user_id, reason=reason)
        if self._shared:
            self.backplane.broadcast("close", sid=session_id, uid=user_id, r=reason)

    def forget_staff(self, *, session_id: str = "", user_id: int = 0) -> None:
        """Drop the cached tokens of a session ("" for none) or of a user (0 for none), on every process."""
        self.forget_staff_here(session_id=session_id, user_id=user_id)
        if self._shared:
            self.backplane.broadcast("forget", sid=session_id, uid=user_id)

    def on_forget_staff(self, forget: Callable[[str, int], None]) -> None:
        self._staff_forgetters.append(forget)

    def forget_staff_here(self, *, session_id: str, user_id: int) -> None:
        for forget in self._staff_forgetters:
            forget(session_id, user_id)

    def close_staff_here(self, *, session_id: str | None, user_id: int | None, reason: str) -> None:
        for sockets in self._staff.values():
            for sock in list(sockets):
                if (session_id and sock.session_id == session_id) or (user_id and sock.user_id == user_id):
                    sock.close(4401, reason)

    def _sockets(self) -> list[Socket]:
        staff = [sock for sockets in self._staff.values() for sock in sockets]
        return staff + [sock for visitors in self._visitors.values() for tabs in visitors.values() for sock in tabs]

    async def stop_all(self, grace: float = STOP_GRACE_SECONDS + 1) -> int:
        """Shutdown, first step: close every socket with 1012 once the frame in hand is answered and what is
        queued is sent; returns once all are gone (or after `grace` seconds) with how many there were."""
        self.stopping = True
        sockets = self._sockets()
        self._closing_left.update(sockets)
        for sock in sockets:
            sock.stop(CLOSE_RESTARTING, "server restarting")
        if self._closing_left:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace):
                    await self._all_closed.wait()
        return len(sockets)

    def close_all(self) -> None:
        for sockets in self._staff.values():
            for sock in list(sockets):
                sock.close(1012, "server restarting")
        for visitors in self._visitors.values():
            for tabs in visitors.values():
                for sock in list(tabs):
                    sock.close(1012, "server restarting")
