"""The WebSocket hub: who is connected, per tenant; every socket (handoff/live/sockets.py) gets a bounded
queue and its own sender task, and `publish()` is the one way an event leaves the server. With several processes (REDIS_URL) the hub also hands each encoded frame to
the backplane (handoff/live/backplane.py), which delivers it to the other processes' sockets; this process's
own sockets always get it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator

from handoff.live import events
from handoff.live.availability import Availability, AwayList, available, present
from handoff.live.backplane import Backplane, InProcess
from handoff.live.sockets import CLOSE_RESTARTING, STOP_GRACE_SECONDS, Socket, encode

log = logging.getLogger("handoff.hub")

# A visitor's tabs; more than this is a script, not a person.
SOCKETS_PER_VISITOR = 10


class Hub(Availability):
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
        self.away = AwayList()  # handoff/live/availability.py

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
            self.backplane.local_staff(tenant_id, self._signed_here(tenant_id))
        self._announce_presence(tenant_id, was_online=was_online)

    def _announce_presence(self, tenant_id: int, *, was_online: bool) -> None:
        """To this process's sockets only (every process announces to its own): the staff list to staff, and
        to every visitor's widget when the tenant went from no staff to some, or back."""
        online = self.staff_online(tenant_id)
        frame = encode(
            events.staff_presence(online, sorted(self.online_user_ids(tenant_id)), self.availability_of(tenant_id))
        )
        for sock in self._staff.get(tenant_id, ()):
            sock.offer(frame)
        if online != was_online:
            frame = encode(events.visitor_presence(online))
            for tabs in self._visitors.get(tenant_id, {}).values():
                for sock in tabs:
                    sock.offer(frame)

    def presence_elsewhere_changed(self, tenant_id: int, *, was_online: bool) -> None:
        """The backplane saw another process's staff of this tenant change (or expire)."""
        here = bool(available(self._signed_here(tenant_id)))
        self._announce_presence(tenant_id, was_online=here or was_online)

    def online_user_ids(self, tenant_id: int) -> set[int]:
        """Staff user ids connected to any process (the backplane keeps the other processes' in memory)."""
        here = {s.user_id for s in self._staff.get(tenant_id, ()) if s.user_id is not None}
        return here | present(self._signed_elsewhere(tenant_id))

    @property
    def spans_processes(self) -> bool:
        """Other processes share the sockets (a Redis backplane): what this one sees is not everyone."""
        return self._shared

    def connected_visitors(self) -> dict[int, list[str]]:
        """Tenant id -> the visitor ids with a socket open on this process."""
        return {tenant_id: list(visitors) for tenant_id, visitors in self._visitors.items() if visitors}

    def visitor_connected(self, tenant_id: int, visitor_id: str) -> bool:
        """Whether the visitor has a socket open on this process (two dictionary lookups: safe from the
        database's writer thread)."""
        return bool(self._visitors.get(tenant_id, {}).get(visitor_id))

    def staff_online(self, tenant_id: int) -> bool:
        """Any available agent (a staff socket, not away) on any process; no Redis round trip."""
        return bool(self.available_user_ids(tenant_id))

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
