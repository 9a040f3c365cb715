"""The real server with REDIS_URL, next to a second "process": a hub and a Redis limiter of the test's own on
the same prefix (a second server would need a database both can write; with SQLite that is one process, so
two real servers wait for the PostgreSQL wiring). Presence, events both ways, a logout closing a socket on
the other process, and the per-address limit shared with it."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import httpx
import jwt
import pytest
import redis.asyncio as aioredis
from starlette.websockets import WebSocket

from handoff.live.hub import Hub
from handoff.live.redis_backplane import RedisBackplane
from handoff.live.sockets import Socket
from handoff.redis_limits import RedisLimiter
from tests.conftest import BACKENDS
from tests.support import LiveServer, eventually, make_tenant, query, staff_socket, visitor_session, visitor_socket

pytestmark = BACKENDS

T = TypeVar("T")


class Peer:
    """Another process of the deployment: a hub on a backplane, in an event loop on a thread of its own."""

    def __init__(self, url: str, prefix: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.url, self.prefix = url, prefix
        self.plane = self.call(self._start())
        self.hub = Hub(backplane=self.plane)

    async def _start(self) -> RedisBackplane:
        plane = RedisBackplane(aioredis.Redis.from_url(self.url), self.prefix)
        await plane.start()
        return plane

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def do(self, fn: Callable[[], T]) -> T:
        async def wrapped() -> T:
            return fn()

        return self.call(wrapped())

    def frames(self, sock: Socket) -> list[dict[str, Any]]:
        def take() -> list[dict[str, Any]]:
            out = []
            while not sock.queue.empty():
                out.append(json.loads(sock.queue.get_nowait()))
            return out

        return self.do(take)

    def close(self) -> None:
        self.call(self.plane.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


@pytest.fixture
def deployment(
    make_server: Callable[..., LiveServer], tmp_path: Path, redis_url: str, redis_prefix: str
) -> Iterator[tuple[LiveServer, Peer]]:
    server = make_server(tmp_path, REDIS_URL=redis_url, REDIS_PREFIX=redis_prefix, IP_REQUESTS_PER_MINUTE="40")
    server.start()
    peer = Peer(redis_url, redis_prefix)
    yield server, peer
    peer.close()
    server.stop()


def tenant_id(server: LiveServer, widget_key: str) -> int:
    return int(query(server, "SELECT id FROM tenants WHERE widget_key = ?", widget_key)[0][0])


def test_presence_and_events_cross_between_the_server_and_another_process(
    deployment: tuple[LiveServer, Peer],
) -> None:
    server, peer = deployment
    admin, key = make_tenant(server)
    tenant = tenant_id(server, key)
    assert visitor_session(server, key)["staff_online"] is False
    session = visitor_session(server, key)
    widget = visitor_socket(server, session)
    widget.recv_until(lambda f: f["type"] == "presence" and f["staff_online"] is False)
    # staff connect to the other process: the server's widget endpoint and the open widget both know
    elsewhere = Socket(cast(WebSocket, object()), tenant, user_id=999, session_id="peer-session")
    peer.do(lambda: peer.hub.add(elsewhere))
    widget.recv_until(lambda f: f == {"type": "presence", "staff_online": True})
    assert visitor_session(server, key)["staff_online"] is True
    # a visitor's message on the server reaches staff on the other process
    widget.send({"type": "message", "text": "anyone there?", "client_id": "c-1"})
    eventually(lambda: [f for f in peer.frames(elsewhere) if f["type"] == "message"] or None)
    # and an event published on the other process reaches staff and the visitor on the server
    staff = staff_socket(server, admin.token or "")
    peer.do(lambda: peer.hub.publish(tenant, {"type": "typing", "sender": "staff"}, visitor=session["visitor_id"]))  # type: ignore[arg-type]
    assert staff.recv_until(lambda f: f["type"] == "typing")["sender"] == "staff"
    assert widget.recv_until(lambda f: f["type"] == "typing")["sender"] == "staff"
    # the server's staff show up in the other process's presence
    eventually(lambda: peer.do(lambda: peer.hub.online_user_ids(tenant)) == {999, admin_user_id(admin.token)})
    peer.do(lambda: peer.hub.remove(elsewhere))
    staff.close()
    widget.close()


def admin_user_id(token: str | None) -> int:
    return int(jwt.decode(token or "", options={"verify_signature": False})["sub"])


def test_a_logout_on_the_server_closes_that_sessions_socket_on_the_other_process(
    deployment: tuple[LiveServer, Peer],
) -> None:
    server, peer = deployment
    admin, key = make_tenant(server)
    claims = jwt.decode(admin.token or "", options={"verify_signature": False})
    elsewhere = Socket(
        cast(WebSocket, object()), tenant_id(server, key), user_id=int(claims["sub"]), session_id=claims["sid"]
    )
    peer.do(lambda: peer.hub.add(elsewhere))
    forgotten: list[tuple[str, int]] = []
    peer.do(lambda: peer.hub.on_forget_staff(lambda sid, uid: forgotten.append((sid, uid))))
    assert admin.post("/api/v1/auth/logout").status_code == 204
    eventually(lambda: elsewhere.closing)
    assert elsewhere.closing == (4401, "logged out")
    assert (claims["sid"], 0) in forgotten


def test_the_per_address_limit_is_shared_with_the_other_process(deployment: tuple[LiveServer, Peer]) -> None:
    server, peer = deployment
    _, key = make_tenant(server)
    limiter = RedisLimiter(peer.plane.redis, peer.prefix, "ip", 40, 60)
    used = 0
    while peer.call(limiter.allow("127.0.0.1")):  # the other process spends the address's allowance
        used += 1
    assert used <= 40
    response = httpx.post(f"{server.url}/api/v1/widget/session", json={"widget_key": key})
    assert response.status_code == 429
