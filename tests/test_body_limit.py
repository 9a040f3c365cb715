"""The request body limit: 1 MiB for every body but multipart uploads (UPLOAD_MAX_BYTES), counted as the bytes
stream in, so neither an honest, a chunked nor a lying Content-Length gets more past it. The middleware alone
with a tiny ASGI app, then the real server."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from handoff.web.body_limit import BodyLimitMiddleware
from tests.support import LiveServer
from tests.unit.helpers import run

LIMIT = 1024 * 1024
TOO_LARGE = {"detail": f"request body too large (limit {LIMIT} bytes)"}

# ---- the middleware on its own ---------------------------------------------------------------------


class Reader:
    """An ASGI app that reads the whole body and answers its length; `on_error` is its answer when reading
    fails (FastAPI answers 400 "error parsing the body"; an unhandled error would be a 500)."""

    def __init__(self, on_error: int | None = None) -> None:
        self.on_error = on_error
        self.called = False
        self.received = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.called = True
        try:
            more = True
            while more:
                message = await receive()
                self.received += len(message.get("body", b""))
                more = message.get("more_body", False)
        except Exception:
            if self.on_error is None:
                raise
            await send({"type": "http.response.start", "status": self.on_error, "headers": []})
            await send({"type": "http.response.body", "body": b"app error"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(self.received).encode()})


def call(
    app: Any, chunks: list[bytes], headers: dict[str, str] | None = None, upload_max_bytes: int = 10 * LIMIT
) -> tuple[int, bytes]:
    """Run one request through the middleware; returns (status, body) as the client would see them."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/x",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    pending = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    middleware = BodyLimitMiddleware(app, max_bytes=LIMIT, upload_max_bytes=upload_max_bytes)
    run(middleware(scope, receive, send))
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 1, sent
    return starts[0]["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_bodies_within_the_limit_pass_untouched() -> None:
    app = Reader()
    assert call(app, [b"x" * 1000, b"y" * (LIMIT - 1000)]) == (200, str(LIMIT).encode())


def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs() -> None:
    app = Reader()
    status, body = call(app, [b"{}"], {"content-length": str(LIMIT + 1)})
    assert (status, json.loads(body)) == (413, TOO_LARGE) and not app.called


def test_a_streamed_body_is_cut_off_at_the_limit() -> None:
    """Chunked, or a Content-Length that lies: the app never gets a byte past the limit."""
    for headers in ({}, {"content-length": "10"}):
        app = Reader()
        status, body = call(app, [b"a" * 600_000, b"b" * 600_000, b"c" * 600_000], headers)
        assert (status, json.loads(body)) == (413, TOO_LARGE)
        assert app.received <= LIMIT


@pytest.mark.parametrize("on_error", [None, 400, 500])
def test_the_client_gets_413_whatever_the_app_made_of_the_cut(on_error: int | None) -> None:
    status, body = call(Reader(on_error), [b"a" * LIMIT, b"b"])
    assert (status, json.loads(body)) == (413, TOO_LARGE)


def test_multipart_uploads_get_the_upload_limit() -> None:
    multipart = {"content-type": "multipart/form-data; boundary=x"}
    assert call(Reader(), [b"a" * 3 * LIMIT], multipart, upload_max_bytes=4 * LIMIT)[0] == 200
    status, body = call(Reader(), [b"a" * 3 * LIMIT, b"b" * 2 * LIMIT], multipart, upload_max_bytes=4 * LIMIT)
    assert status == 413 and json.loads(body) == {"detail": f"request body too large (limit {4 * LIMIT} bytes)"}
    # A JSON body does not get the upload allowance.
    assert (
        call(Reader(), [b"a" * 3 * LIMIT], {"content-type": "application/json"}, upload_max_bytes=4 * LIMIT)[0] == 413
    )


def test_other_scopes_pass_through() -> None:
    seen = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    middleware = BodyLimitMiddleware(app, max_bytes=LIMIT, upload_max_bytes=LIMIT)
    for kind in ("websocket", "lifespan"):
        run(middleware({"type": kind}, None, None))
    assert seen == ["websocket", "lifespan"]


# ---- the real server -------------------------------------------------------------------------------

ROUTES = ["/api/v1/auth/login", "/webhooks/messenger", "/webchat", "/webhooks/twilio/sms", "/followup"]


def big_json(size: int) -> bytes:
    """A JSON object that is expensive to parse: `size` bytes, mostly a list of tiny numbers."""
    head, tail = b'{"email": "a@example.com", "password": "x", "pad": [', b"0]}"
    return head + b"0," * ((size - len(head) - len(tail)) // 2) + tail


def chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def rss_kib(server: LiveServer) -> int:
    assert server.process is not None
    status = open(f"/proc/{server.process.pid}/status").read()  # noqa: SIM115 - one read
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


def raw_exchange(server: LiveServer, head: bytes, body: bytes) -> bytes:
    """Send bytes on a raw connection (from a thread, since the server may answer before it is done) and
    return everything the server sends until it closes or goes quiet."""
    conn = socket.create_connection(("127.0.0.1", server.port), timeout=10)

    def write() -> None:
        with contextlib.suppress(OSError):  # the server answered and closed: what it said is what counts
            conn.sendall(head + body)

    writer = threading.Thread(target=write)
    writer.start()
    received = b""
    try:
        while data := conn.recv(65536):
            received += data
    except (TimeoutError, ConnectionResetError):
        pass
    finally:
        writer.join()
        conn.close()
    return received


@pytest.mark.parametrize("path", ROUTES)
def test_an_honest_oversized_body_is_413_on_every_route(server: LiveServer, path: str) -> None:
    response = httpx.post(
        f"{server.url}{path}", content=big_json(2 * LIMIT), headers={"Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()) == (413, TOO_LARGE)


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/webhooks/messenger"])
def test_a_chunked_oversized_body_is_413(server: LiveServer, path: str) -> None:
    response = httpx.post(
        f"{server.url}{path}", content=chunks(big_json(2 * LIMIT)), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers  # it really went chunked
    assert (response.status_code, response.json()) == (413, TOO_LARGE)


def test_a_body_at_the_limit_is_still_read(server: LiveServer) -> None:
    response = httpx.post(
        f"{server.url}/api/v1/auth/login", content=big_json(LIMIT), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401  # parsed, then the password was wrong


def test_a_declared_length_over_the_limit_is_answered_without_waiting_for_the_body(server: LiveServer) -> None:
    head = (
        f"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {2 * LIMIT}\r\n\r\n"
    ).encode()
    conn = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        conn.sendall(head + b'{"email": ')  # and nothing more: the server must not wait for the rest
        answer = conn.recv(65536)
        while (b"\r\n\r\n" not in answer or not answer.endswith(b"}")) and (more := conn.recv(65536)):
            answer += more  # the body may come in a segment of its own
    finally:
        conn.close()
    assert answer.startswith(b"HTTP/1.1 413 "), answer
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1]) == TOO_LARGE


def test_a_lying_small_content_length_gets_no_more_than_it_declared(server: LiveServer) -> None:
    """Only the declared 20 bytes are a body; what follows is not a request, so the server answers 400 and
    closes (or resets, when it closes with the rest unread). Whatever comes back is a 4xx; memory stays flat."""
    before = rss_kib(server)
    head = (
        b"POST /webhooks/messenger HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 20\r\n\r\n"
    )
    answer = raw_exchange(server, head, big_json(16 * LIMIT))
    statuses = [int(line.split()[1]) for line in answer.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]
    assert all(400 <= s < 500 for s in statuses), answer[:500]
    assert httpx.get(f"{server.url}/health").status_code == 200
    assert rss_kib(server) - before < 50 * 1024


def test_large_bodies_do_not_balloon_the_server(server: LiveServer) -> None:
    """16 MB to login and to the Messenger webhook, honest and chunked: memory stays flat, /health answers."""
    body = big_json(16 * LIMIT)
    httpx.post(f"{server.url}/api/v1/auth/login", json={"email": "warm@example.com", "password": "up"})
    before = rss_kib(server)
    for path in ("/api/v1/auth/login", "/webhooks/messenger"):
        for content in (body, chunks(body)):
            response = httpx.post(
                f"{server.url}{path}", content=content, headers={"Content-Type": "application/json"}, timeout=30
            )
            assert response.status_code == 413
            assert httpx.get(f"{server.url}/health").status_code == 200
    grown = rss_kib(server) - before
    assert grown < 50 * 1024, f"RSS grew by {grown} KiB"
