"""The socket hub with fake WebSockets: who receives what, presence, closing codes, and a slow consumer that
is cut off (1013) without holding up anyone else."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, cast

import pytest
from starlette.websockets import WebSocket, WebSocketState

from handoff.live import events
from handoff.live.hub import Hub
from handoff.live.sockets import (
    CLOSE_TOO_BIG,
    CLOSE_TOO_SLOW,
    MAX_FRAME_BYTES,
    STAFF_QUEUE_FRAMES,
    VISITOR_QUEUE_FRAMES,
    Socket,
)
from tests.unit.helpers import queued, run

TENANT, OTHER_TENANT = 1, 2
Frame = dict[str, Any]


class FakeWebSocket:
    """What `Socket` uses of Starlette's WebSocket: `send_text`, `receive`, `close`, `application_state`.

    Records every frame sent. A stalled one never finishes a `send_text` (a client that stopped reading).
    """

    def __init__(self, *, stalled: bool = False) -> None:
        self.stalled = stalled
        self.sent: list[Frame] = []
        self.closed_with: tuple[int, str | None] | None = None
        self.application_state = WebSocketState.CONNECTED
        self._never = asyncio.Event()
        self._changed = asyncio.Event()
        self._incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def send_text(self, data: str) -> None:
        if self.stalled:
            await self._never.wait()
        self.sent.append(json.loads(data))
        self._changed.set()

    async def receive(self) -> dict[str, Any]:
        return await self._incoming.get()

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed_with = (code, reason)
        self.application_state = WebSocketState.DISCONNECTED

    # -- the client's side ----------------------------------------------------------------------------

    def client_sends(self, text: str) -> None:
        self._incoming.put_nowait({"type": "websocket.receive", "text": text})

    def client_leaves(self) -> None:
        self._incoming.put_nowait({"type": "websocket.disconnect", "code": 1000})

    async def until(self, done: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until `done()` holds, woken by each frame this socket sends."""
        async with asyncio.timeout(timeout):
            while not done():
                self._changed.clear()
                await self._changed.wait()

    async def until_messages(self, count: int) -> None:
        await self.until(lambda: len(self.messages()) >= count)

    def messages(self) -> list[int]:
        """The ids of the `message` events received, in order."""
        return [f["message"]["id"] for f in self.sent if f["type"] == "message"]


def staff_socket(tenant_id: int, user_id: int, session_id: str = "", *, stalled: bool = False) -> Socket:
    ws = FakeWebSocket(stalled=stalled)
    return Socket(cast(WebSocket, ws), tenant_id, user_id=user_id, session_id=session_id or f"session-{user_id}")


def visitor_socket(tenant_id: int, visitor_id: str, *, stalled: bool = False) -> Socket:
    return Socket(cast(WebSocket, FakeWebSocket(stalled=stalled)), tenant_id, visitor_id=visitor_id)


def fake(sock: Socket) -> FakeWebSocket:
    return cast(FakeWebSocket, sock.ws)


def message(n: int) -> events.MessageEvent:
    return events.message({"id": n, "text": f"message {n}"})


async def ignore_frames(sock: Socket, frame: Frame) -> None:
    return None


async def connect(hub: Hub, *sockets: Socket) -> list[asyncio.Task[None]]:
    """Each socket joins the hub and runs until closed, then leaves, as the socket endpoints do."""

    async def serve(sock: Socket) -> None:
        hub.add(sock)
        try:
            await sock.run(ignore_frames)
        finally:
            hub.remove(sock)

    before = sum(hub.counts().values())
    tasks = [asyncio.create_task(serve(sock)) for sock in sockets]
    await asyncio.sleep(0)  # one step each: joined and running
    assert sum(hub.counts().values()) == before + len(sockets)
    return tasks


async def finished(tasks: list[asyncio.Task[None]]) -> None:
    """Each socket's `run` has returned (it closed, or its client left)."""
    async with asyncio.timeout(5):
        await asyncio.gather(*tasks)


# ---- a slow consumer ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["staff", "visitor"])
def test_a_slow_consumer_is_closed_with_1013_and_the_others_keep_receiving(kind: str) -> None:
    queue_size = STAFF_QUEUE_FRAMES if kind == "staff" else VISITOR_QUEUE_FRAMES
    total = 2 * queue_size + 10  # well past what the slow socket's queue holds
    chunk = max(1, queue_size // 8)

    async def scenario() -> tuple[FakeWebSocket, list[FakeWebSocket], Socket]:
        hub = Hub()
        if kind == "staff":
            slow = staff_socket(TENANT, 1, stalled=True)
            others = [staff_socket(TENANT, 2), staff_socket(TENANT, 3)]
        else:  # three tabs of one visitor; one stopped reading
            slow = visitor_socket(TENANT, "v1", stalled=True)
            others = [visitor_socket(TENANT, "v1"), visitor_socket(TENANT, "v1")]
        tasks = await connect(hub, slow, *others)
        published = 0
        while published < total:
            for _ in range(min(chunk, total - published)):
                hub.publish(
                    TENANT, message(published), staff=kind == "staff", visitor="v1" if kind == "visitor" else None
                )
                published += 1
            for sock in others:  # the fast ones keep up: each has sent everything published so far
                await fake(sock).until_messages(published)
        await finished(tasks[:1])  # the slow socket's run ended: it was closed
        for sock in others:
            fake(sock).client_leaves()
        await finished(tasks[1:])
        return fake(slow), [fake(s) for s in others], slow

    slow_ws, others, slow = run(scenario())
    assert slow.closing is not None and slow.closing[0] == CLOSE_TOO_SLOW
    assert slow_ws.closed_with is not None and slow_ws.closed_with[0] == CLOSE_TOO_SLOW == 1013
    assert slow_ws.sent == []  # it never finished sending even its first frame
    for ws in others:
        assert ws.messages() == list(range(total))  # every frame, in order, none lost
        assert ws.closed_with == (1000, "")  # they ended when their client left, not cut off


# ---- who receives what ----------------------------------------------------------------------------


def test_staff_events_reach_only_that_tenants_staff() -> None:
    hub = Hub()
    mine = [staff_socket(TENANT, 1), staff_socket(TENANT, 2)]
    theirs = staff_socket(OTHER_TENANT, 3)
    visitor = visitor_socket(TENANT, "v1")
    for sock in (*mine, theirs, visitor):
        hub.add(sock)
    for sock in (*mine, theirs, visitor):
        queued(sock)  # presence frames from joining

    hub.publish(TENANT, message(1))
    assert [queued(s) for s in mine] == [[message(1)], [message(1)]]
    assert queued(theirs) == []
    assert queued(visitor) == []  # a staff event (with its conversation) never goes to a visitor unasked

    hub.publish(OTHER_TENANT, message(2))
    assert queued(theirs) == [message(2)]
    assert [queued(s) for s in mine] == [[], []]


def test_visitor_events_reach_every_tab_of_that_visitor_except_skip() -> None:
    hub = Hub()
    tabs = [visitor_socket(TENANT, "v1") for _ in range(3)]
    other_visitor = visitor_socket(TENANT, "v2")
    same_id_elsewhere = visitor_socket(OTHER_TENANT, "v1")
    staff = staff_socket(TENANT, 1)
    for sock in (*tabs, other_visitor, same_id_elsewhere, staff):
        hub.add(sock)
    for sock in (*tabs, other_visitor, same_id_elsewhere, staff):
        queued(sock)

    hub.publish(TENANT, message(1), staff=False, visitor="v1")
    assert [queued(t) for t in tabs] == [[message(1)]] * 3
    assert queued(other_visitor) == [] and queued(same_id_elsewhere) == [] and queued(staff) == []

    hub.publish(TENANT, message(2), staff=False, visitor="v1", skip=tabs[0])  # tab 0 sent it and has its ack
    assert [queued(t) for t in tabs] == [[], [message(2)], [message(2)]]

    hub.publish(TENANT, message(3), visitor="v1")  # both: the tenant's staff and the visitor's tabs
    assert queued(staff) == [message(3)] and [queued(t) for t in tabs] == [[message(3)]] * 3

    hub.remove(tabs[1])
    hub.publish(TENANT, message(4), staff=False, visitor="v1")
    assert [queued(t) for t in tabs] == [[message(4)], [], [message(4)]]


def test_presence_follows_staff_joining_and_leaving() -> None:
    hub = Hub()
    visitor = visitor_socket(TENANT, "v1")
    elsewhere = visitor_socket(OTHER_TENANT, "v9")
    hub.add(visitor)
    hub.add(elsewhere)
    assert queued(visitor) == [] and not hub.staff_online(TENANT)

    first = staff_socket(TENANT, 7)
    hub.add(first)
    assert queued(first) == [events.staff_presence(True, [7])]
    assert queued(visitor) == [events.visitor_presence(True)]  # the tenant went from nobody to somebody
    assert queued(elsewhere) == []

    second = staff_socket(TENANT, 9)
    hub.add(second)
    assert queued(first) == queued(second) == [events.staff_presence(True, [7, 9])]
    assert queued(visitor) == []  # still online: visitors are not told again

    other_tenant = staff_socket(OTHER_TENANT, 5)
    hub.add(other_tenant)
    assert queued(other_tenant) == [events.staff_presence(True, [5])]
    assert queued(elsewhere) == [events.visitor_presence(True)]
    assert queued(first) == queued(second) == queued(visitor) == []

    hub.remove(first)
    assert queued(second) == [events.staff_presence(True, [9])]
    assert queued(visitor) == []
    assert hub.online_user_ids(TENANT) == {9}

    hub.remove(second)
    assert queued(visitor) == [events.visitor_presence(False)]  # the last one left
    assert not hub.staff_online(TENANT) and hub.staff_online(OTHER_TENANT)
    assert hub.counts() == {"visitor_sockets": 2, "staff_sockets": 1}


def test_two_sockets_of_one_user_count_once_and_presence_holds_until_both_leave() -> None:
    hub = Hub()
    laptop, phone = staff_socket(TENANT, 7, "laptop"), staff_socket(TENANT, 7, "phone")
    visitor = visitor_socket(TENANT, "v1")
    for sock in (visitor, laptop, phone):
        hub.add(sock)
    assert queued(phone) == [events.staff_presence(True, [7])]
    hub.remove(laptop)
    assert queued(phone) == [events.staff_presence(True, [7])]
    assert queued(visitor) == [events.visitor_presence(True)]  # once, when the first joined; nothing on leaving
    assert hub.online_user_ids(TENANT) == {7} and hub.counts()["staff_sockets"] == 1


# ---- closing --------------------------------------------------------------------------------------


def test_close_staff_by_session_or_user_closes_with_4401_and_close_all_with_1012() -> None:
    async def scenario() -> dict[str, tuple[int, str | None] | None]:
        hub = Hub()
        sockets = {
            "signed-out session": staff_socket(TENANT, 1, "s-a"),
            "same user, other session": staff_socket(TENANT, 1, "s-b"),
            "disabled user": staff_socket(TENANT, 2, "s-c"),
            "disabled user, other tab": staff_socket(TENANT, 2, "s-c2"),
            "other tenant": staff_socket(OTHER_TENANT, 3, "s-d"),
            "visitor": visitor_socket(TENANT, "v1"),
        }
        tasks = dict(zip(sockets, await connect(hub, *sockets.values()), strict=True))
        outcome: dict[str, tuple[int, str | None] | None] = {}

        hub.close_staff(session_id="s-a", reason="session revoked")
        await finished([tasks["signed-out session"]])
        hub.close_staff(user_id=2, reason="user disabled")
        await finished([tasks["disabled user"], tasks["disabled user, other tab"]])
        still_open = [name for name, task in tasks.items() if not task.done()]
        assert still_open == ["same user, other session", "other tenant", "visitor"]

        hub.close_all()
        await finished(list(tasks.values()))
        assert hub.counts() == {"visitor_sockets": 0, "staff_sockets": 0}
        for name, sock in sockets.items():
            outcome[name] = fake(sock).closed_with
        return outcome

    closed = run(scenario())
    assert closed["signed-out session"] == (4401, "session revoked")
    assert closed["disabled user"] == closed["disabled user, other tab"] == (4401, "user disabled")
    for name in ("same user, other session", "other tenant", "visitor"):
        assert closed[name] == (1012, "server restarting")


def test_frames_from_the_client_are_checked_before_the_handler_sees_them() -> None:
    async def scenario() -> tuple[list[Frame], list[Frame], tuple[int, str | None] | None]:
        handled: list[Frame] = []

        async def handle(sock: Socket, frame: Frame) -> None:
            handled.append(frame)

        sock = visitor_socket(TENANT, "v1")
        ws = fake(sock)
        task = asyncio.create_task(sock.run(handle))
        ws.client_sends("not json")
        ws.client_sends("[1, 2]")
        ws.client_sends('{"type": "typing"}')
        await ws.until(lambda: len(ws.sent) == 2)
        ws.client_sends('{"type": "message", "text": "' + "x" * MAX_FRAME_BYTES + '"}')
        await finished([task])
        return handled, ws.sent, ws.closed_with

    handled, sent, closed = run(scenario())
    assert sent == [
        events.error("frame is not valid JSON"),
        events.error("frame must be an object with a string 'type'"),
    ]
    assert handled == [{"type": "typing"}]  # the oversized frame never reached the handler
    assert closed == (CLOSE_TOO_BIG, "frame larger than 64 KiB")
