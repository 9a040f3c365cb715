"""Two hubs ("two processes") in one test, joined through the real Redis (a scratch key prefix per test):
events, a visitor's tabs on both, presence as the union with expiry, socket closes and token-cache drops.
Sockets are not running: what the hubs queued for them is read with `queued`."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

import orjson
import pytest
import redis as redis_sync
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from starlette.websockets import WebSocket

from handoff.live import events
from handoff.live.backplane import InProcess, backplane_for
from handoff.live.hub import Hub
from handoff.live.redis_backplane import RedisBackplane
from handoff.live.sockets import Socket
from tests.unit.helpers import run

TENANT, OTHER_TENANT = 1, 2
WS = cast(WebSocket, object())


def staff_socket(user_id: int, session_id: str = "", tenant_id: int = TENANT) -> Socket:
    return Socket(WS, tenant_id, user_id=user_id, session_id=session_id or f"session-{user_id}")


def visitor_socket(visitor_id: str, tenant_id: int = TENANT) -> Socket:
    return Socket(WS, tenant_id, visitor_id=visitor_id)


class Inbox:
    """What the hubs queued for a socket, taken off its queue as it arrives."""

    def __init__(self, sock: Socket) -> None:
        self.sock = sock
        self.frames: list[dict[str, Any]] = []

    def take(self) -> list[dict[str, Any]]:
        while not self.sock.queue.empty():
            self.frames.append(json.loads(self.sock.queue.get_nowait()))
        return self.frames

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.take() if f["type"] == kind]


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)


@asynccontextmanager
async def hubs(url: str, prefix: str, count: int = 2, **timing: float) -> AsyncIterator[list[Hub]]:
    # Connections are named after the test's prefix (and the hub's index), so a test can find its own.
    planes = [
        RedisBackplane(aioredis.Redis.from_url(url, client_name=f"{prefix}{i}"), prefix, **timing) for i in range(count)
    ]
    started: list[RedisBackplane] = []
    try:
        for plane in planes:
            await plane.start()
            started.append(plane)
        yield [Hub(backplane=plane) for plane in planes]
    finally:
        for plane in started:
            if plane._tasks:
                await plane.stop()


def message(text: str) -> events.Event:
    return cast(events.Event, {"type": "message", "text": text})


def test_the_url_picks_the_backend(redis_url: str, redis_prefix: str) -> None:
    assert isinstance(backplane_for("", "x:"), InProcess)
    assert Hub().backplane.shared is False

    async def scenario() -> None:
        plane = backplane_for(redis_url, redis_prefix)
        assert isinstance(plane, RedisBackplane) and plane.channel == f"{redis_prefix}events"
        assert (plane.ttl_seconds, plane.heartbeat_seconds) == (15.0, 5.0)
        await plane.redis.aclose()
        quick = backplane_for(redis_url, redis_prefix, 3.0)  # PRESENCE_TTL_SECONDS=3: a heartbeat a second
        assert isinstance(quick, RedisBackplane) and (quick.ttl_seconds, quick.heartbeat_seconds) == (3.0, 1.0)
        await quick.redis.aclose()

    run(scenario())


def test_startup_fails_when_redis_is_unreachable_or_the_url_is_not_redis() -> None:
    async def scenario() -> None:
        plane = backplane_for("redis://127.0.0.1:1/0", "handoff-test-nowhere:")
        try:
            await plane.start()
        except (RedisError, OSError):
            pass
        else:
            raise AssertionError("started without Redis")
        finally:
            await plane.redis.aclose()  # type: ignore[union-attr]

    run(scenario())
    with pytest.raises(ValueError, match="REDIS_URL"):
        backplane_for("http://127.0.0.1:6379", "x:")


def test_an_event_reaches_staff_on_the_other_process_and_at_once_on_its_own(redis_url: str, redis_prefix: str) -> None:
    async def scenario() -> None:
        async with hubs(redis_url, redis_prefix) as (a, b):
            here, there, elsewhere = staff_socket(1), staff_socket(2), staff_socket(3, tenant_id=OTHER_TENANT)
            a.add(here)
            b.add(there)
            b.add(elsewhere)
            mine, theirs, other = Inbox(here), Inbox(there), Inbox(elsewhere)
            for n in range(50):
                a.publish(TENANT, message(f"m{n}"))
            # the origin's own sockets have it before any round trip
            assert [f["text"] for f in mine.of_type("message")] == [f"m{n}" for n in range(50)]
            await eventually(lambda: len(theirs.of_type("message")) == 50)
            assert [f["text"] for f in theirs.of_type("message")] == [f"m{n}" for n in range(50)]  # in order
            await asyncio.sleep(0.1)  # our own envelopes came back and were ignored: no duplicates
            assert len(mine.of_type("message")) == 50
            assert other.of_type("message") == []  # another tenant's staff get nothing

    run(scenario())


def test_an_event_for_some_members_reaches_only_their_sockets_on_every_process(
    redis_url: str, redis_prefix: str
) -> None:
    async def scenario() -> None:
        async with hubs(redis_url, redis_prefix) as (a, b):
            author, author_there = staff_socket(1), staff_socket(1, "s1b")
            mentioned_here, mentioned_there, bystander = staff_socket(2), staff_socket(2, "s2b"), staff_socket(3)
            a.add(author)
            a.add(mentioned_here)
            b.add(author_there)
            b.add(mentioned_there)
            b.add(bystander)
            inboxes = [Inbox(s) for s in (author, mentioned_here, author_there, mentioned_there, bystander)]
            a.publish(TENANT, cast(events.Event, {"type": "mention", "text": "m"}), users=frozenset({2}))
            a.publish(TENANT, message("after"))  # the marker: whatever came before it has arrived
            await eventually(lambda: all(inbox.of_type("message") for inbox in inboxes))
            assert [len(inbox.of_type("mention")) for inbox in inboxes] == [0, 1, 0, 1, 0]

    run(scenario())


def test_a_visitors_tabs_on_two_processes_all_get_it_except_the_tab_it_came_from(
    redis_url: str, redis_prefix: str
) -> None:
    async def scenario() -> None:
        async with hubs(redis_url, redis_prefix) as (a, b):
            origin, sibling, far = visitor_socket("v1"), visitor_socket("v1"), visitor_socket("v1")
            stranger = visitor_socket("v2")
            a.add(origin)
            a.add(sibling)
            b.add(far)
            b.add(stranger)
            a.publish(TENANT, message("hello"), staff=False, visitor="v1", skip=origin)
            b.publish(TENANT, message("reply"), staff=False, visitor="v1")
            far_box, sibling_box, origin_box = Inbox(far), Inbox(sibling), Inbox(origin)
            await eventually(lambda: len(far_box.of_type("message")) == 2)
            # one from each process: b's own "reply" went straight to far, so only per-publisher order holds
            assert sorted(f["text"] for f in far_box.of_type("message")) == ["hello", "reply"]
            await eventually(lambda: len(sibling_box.of_type("message")) == 2)
            assert sorted(f["text"] for f in sibling_box.of_type("message")) == ["hello", "reply"]
            await eventually(lambda: len(origin_box.of_type("message")) == 1)
            assert [f["text"] for f in origin_box.of_type("message")] == ["reply"]  # not its own "hello"
            assert Inbox(stranger).of_type("message") == []

    run(scenario())


def test_presence_is_the_union_of_the_processes(redis_url: str, redis_prefix: str) -> None:
    async def scenario() -> None:
        async with hubs(redis_url, redis_prefix) as (a, b):
            widget = visitor_socket("v1")
            b.add(widget)
            assert not a.staff_online(TENANT) and not b.staff_online(TENANT)
            agent, colleague = staff_socket(7), staff_socket(8)
            a.add(agent)
            await eventually(lambda: b.staff_online(TENANT))
            assert b.online_user_ids(TENANT) == {7}
            # the widget on the other process heard that staff came online
            assert Inbox(widget).of_type("presence") == [{"type": "presence", "staff_online": True}]
            b.add(colleague)
            await eventually(lambda: a.online_user_ids(TENANT) == {7, 8})
            assert b.online_user_ids(TENANT) == {7, 8}
            agent_box = Inbox(agent)
            await eventually(lambda: agent_box.of_type("presence")[-1]["online_user_ids"] == [7, 8])
            assert not a.staff_online(OTHER_TENANT)
            a.remove(agent)
            await eventually(lambda: b.online_user_ids(TENANT) == {8})
            assert a.staff_online(TENANT)  # colleague on b still counts for a
            b.remove(colleague)
            await eventually(lambda: not a.staff_online(TENANT))
            assert Inbox(widget).of_type("presence")[-1] == {"type": "presence", "staff_online": False}

    run(scenario())


def test_a_heartbeat_overtaken_by_a_presence_change_does_not_bring_back_who_left(
    redis_url: str, redis_prefix: str
) -> None:
    """A heartbeat reads the other processes' presence hashes; a `p` envelope that arrives while it reads is
    newer than what it read (the hash may have been read just before its owner rewrote it). Without care the
    heartbeat put the staff member who had just left back online until the next heartbeat."""

    async def scenario() -> None:
        async with hubs(redis_url, redis_prefix, heartbeat_seconds=3600) as (a, b):  # heartbeats: the test's own
            b.add(staff_socket(7))
            await eventually(lambda: a.staff_online(TENANT))
            reader, leaver = cast(RedisBackplane, a.backplane), cast(RedisBackplane, b.backplane)
            heartbeat = asyncio.create_task(reader._heartbeat(write=False))
            await asyncio.sleep(0)  # the heartbeat is under way: its reads go out, and see b's staff
            # b's staff member leaves; its envelope overtakes the heartbeat's answer (b's hash is not rewritten
            # here, standing for a read that Redis answered before the rewrite).
            reader.receive(orjson.dumps({"o": leaver.process_id, "k": "p", "t": TENANT, "u": []}))
            assert not a.staff_online(TENANT)
            await heartbeat
            assert not a.staff_online(TENANT)
            await reader._heartbeat(write=False)  # a heartbeat begun after the envelope believes the hash
            assert a.online_user_ids(TENANT) == {7}

    run(scenario())


def test_a_process_that_stops_heartbeating_drops_out_after_the_ttl(redis_url: str, redis_prefix: str) -> None:
    async def scenario() -> None:
        async with hubs(redis_url, redis_prefix, heartbeat_seconds=0.2, ttl_seconds=1.0) as (a, b):
            widget = visitor_socket("v1")
            b.add(widget)
            a.add(staff_socket(7))
            await eventually(lambda: b.staff_online(TENANT))
            await asyncio.sleep(1.2)  # heartbeats keep it alive past the TTL
            assert b.online_user_ids(TENANT) == {7}
            killed = time.monotonic()
            await cast(RedisBackplane, a.backplane).stop(leave=False)  # as if killed: nothing said, nothing deleted
            await eventually(lambda: not b.staff_online(TENANT), timeout=3)
            assert 0.5 < time.monotonic() - killed < 2.5  # the TTL (1 s) plus a heartbeat, and slack for a busy box
            assert Inbox(widget).of_type("presence")[-1] == {"type": "presence", "staff_online": False}

    run(scenario())


def test_a_process_that_joins_later_sees_who_is_already_online(redis_url: str, redis_prefix: str) -> None:
    async def scenario() -> None:
        async with hubs(redis_url, redis_prefix, count=1) as (a,):
            a.add(staff_socket(7))
            async with hubs(redis_url, redis_prefix, count=1) as (late,):
                assert late.staff_online(TENANT) and late.online_user_ids(TENANT) == {7}

    run(scenario())


def test_close_staff_and_forget_staff_reach_every_process(redis_url: str, redis_prefix: str) -> None:
    async def scenario() -> None:
        async with hubs(redis_url, redis_prefix) as (a, b):
            revoked, kept, same_user = staff_socket(1, "s1"), staff_socket(2, "s2"), staff_socket(3, "s3")
            b.add(revoked)
            b.add(kept)
            a.add(same_user)
            forgotten: list[tuple[str, int]] = []
            b.on_forget_staff(lambda sid, uid: forgotten.append((sid, uid)))
            a.forget_staff(session_id="s1")
            a.close_staff(session_id="s1", reason="logged out")
            await eventually(lambda: revoked.closing is not None)
            assert revoked.closing == (4401, "logged out")
            assert forgotten == [("s1", 0)]
            assert kept.closing is None
            b.close_staff(user_id=3, reason="account disabled")  # closes the socket on a
            await eventually(lambda: same_user.closing is not None)
            assert same_user.closing == (4401, "account disabled")
            assert kept.closing is None

    run(scenario())


def test_the_subscriber_reconnects_after_losing_its_connection(redis_url: str, redis_prefix: str) -> None:
    async def scenario() -> None:
        async with hubs(redis_url, redis_prefix) as (a, b):
            listener = staff_socket(2)
            b.add(listener)
            box = Inbox(listener)
            a.publish(TENANT, message("before"))
            await eventually(lambda: len(box.of_type("message")) == 1)
            # Kill b's subscriber connection on the server; every connection of this test is named after its
            # prefix, so nobody else's is touched.
            plane = cast(RedisBackplane, b.backplane)
            with redis_sync.Redis.from_url(redis_url) as admin:
                ours = [
                    c for c in admin.client_list() if c.get("name") == f"{redis_prefix}1" and c["cmd"] == "subscribe"
                ]
                assert len(ours) == 1
                admin.client_kill_filter(_id=ours[0]["id"])
            # b resubscribes with backoff; publish until one gets through, then everything flows again
            deadline = time.monotonic() + 5
            while not any(f["text"] == "probe" for f in box.of_type("message")):
                assert time.monotonic() < deadline, "b never resubscribed"
                a.publish(TENANT, message("probe"))
                await asyncio.sleep(0.05)
            a.publish(TENANT, message("after"))
            await eventually(lambda: box.of_type("message")[-1]["text"] == "after")
            assert not plane._tasks[1].done()

    run(scenario())
