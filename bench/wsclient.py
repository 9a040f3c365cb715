"""Low-overhead loopback clients for the load generator.

`WsConn` drives the `websockets` library's Sans-I/O `ClientProtocol` from a plain
`asyncio.Protocol`: every received frame is handed to a callback synchronously,
in `data_received`, with no per-frame task switch or queue. That keeps the
generator cheaper per message than the uvicorn server it measures (which runs the
same Sans-I/O protocol underneath), so one generator core can saturate one
server core.

`HttpConn` is a minimal keep-alive HTTP/1.1 client (Content-Length bodies only)
for the hot paths (`POST /webchat`, staff replies, session creation); httpx is
used for the few set-up calls.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, cast

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

FrameHandler = Callable[[bytes], None]


class WsConn(asyncio.Protocol):
    """One client WebSocket; `on_text(payload)` runs for every text message."""

    def __init__(self, url: str, on_text: FrameHandler | None = None) -> None:
        self.proto = ClientProtocol(parse_uri(url), max_size=2**22)
        self.on_text = on_text
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.hello: asyncio.Future[None] = asyncio.get_running_loop().create_future()  # first message
        self.close_code: int | None = None
        self._partial: list[bytes] = []

    # asyncio.Protocol ---------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.proto.send_request(self.proto.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        proto = self.proto
        proto.receive_data(data)
        for ev in proto.events_received():
            if isinstance(ev, Frame):
                self._frame(ev)
            elif isinstance(ev, Response):
                if proto.handshake_exc is None and not self.opened.done():
                    self.opened.set_result(None)
                elif not self.opened.done():
                    self.opened.set_exception(proto.handshake_exc or OSError("handshake"))
        self._flush()

    def eof_received(self) -> bool | None:
        self.proto.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.close_code = self.proto.close_code
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during handshake"))
        if not self.closed.done():
            self.closed.set_result(None)
        if not self.hello.done():
            self.hello.set_exception(ConnectionError(f"closed before any message (code {self.close_code})"))
            self.hello.exception()  # retrieved: no "never retrieved" warning when nobody waits

    # helpers ------------------------------------------------------------------
    def _frame(self, frame: Frame) -> None:
        op = frame.opcode
        if not self.hello.done():
            self.hello.set_result(None)
        if op is Opcode.TEXT or op is Opcode.BINARY:
            if frame.fin:
                if self.on_text is not None:
                    self.on_text(frame.data)
            else:
                self._partial = [frame.data]
        elif op is Opcode.CONT:
            self._partial.append(frame.data)
            if frame.fin:
                data, self._partial = b"".join(self._partial), []
                if self.on_text is not None:
                    self.on_text(data)

    def _flush(self) -> None:
        t = self.transport
        if t is None:
            return
        for chunk in self.proto.data_to_send():
            if chunk:
                t.write(chunk)
            elif t.can_write_eof():
                t.write_eof()
        if self.proto.close_expected() and self.proto.state is State.CLOSED:
            t.close()

    @property
    def is_open(self) -> bool:
        return self.proto.state is State.OPEN and not self.closed.done()

    def send_text(self, text: str) -> None:
        """Queue one text frame on the socket (no await: the kernel buffers it)."""
        if self.proto.state is State.OPEN:
            self.proto.send_text(text.encode())
            self._flush()

    def close(self) -> None:
        if self.proto.state is State.OPEN:
            self.proto.send_close(1000)
            self._flush()
        elif self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


async def ws_connect(host: str, port: int, path: str, on_text: FrameHandler | None, timeout: float = 10.0) -> WsConn:
    loop = asyncio.get_running_loop()
    url = f"ws://{host}:{port}{path}"
    _, conn = await asyncio.wait_for(loop.create_connection(lambda: WsConn(url, on_text), host, port), timeout)
    try:
        await asyncio.wait_for(asyncio.shield(conn.opened), timeout)
    except BaseException:
        conn.abort()
        raise
    return conn


class HttpConn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionError("connection closed"))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0 or self.waiter is None:
            return
        head = bytes(self.buf[:end]).lower()
        i = head.find(b"\r\ncontent-length:")
        if i < 0:
            self.waiter.set_exception(ValueError("response without Content-Length"))
            return
        j = head.find(b"\r\n", i + 2)
        length = int(head[i + 17 : j if j > 0 else None])
        total = end + 4 + length
        if len(self.buf) < total:
            return
        status = int(head[9:12])
        body = bytes(self.buf[end + 4 : total])
        del self.buf[:total]
        if b"\r\nconnection: close" in head and self.transport is not None:
            self.transport.close()
        self.waiter.set_result((status, body))


def _expire(fut: asyncio.Future[Any]) -> None:
    if not fut.done():
        fut.set_exception(TimeoutError("HTTP request timed out"))


class HttpClient:
    """Sequential keep-alive client to one host:port (reconnects when closed)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.conn: HttpConn | None = None
        self.host_header = f"Host: {host}:{port}\r\n"

    async def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        payload = b"" if body is None else json.dumps(body).encode()
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        head = (
            f"{method} {path} HTTP/1.1\r\n{self.host_header}{auth}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        status, raw = await self.raw(head.encode() + payload)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw

    async def raw(self, request: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
        if self.conn is None or self.conn.lost:
            loop = asyncio.get_running_loop()
            _, self.conn = await loop.create_connection(HttpConn, self.host, self.port)
        conn = self.conn
        assert conn.transport is not None
        loop = asyncio.get_running_loop()
        waiter = conn.waiter = loop.create_future()
        conn.transport.write(request)
        timer = loop.call_later(timeout, _expire, waiter)
        try:
            return await waiter
        except TimeoutError:
            conn.transport.abort()
            raise
        finally:
            timer.cancel()
            conn.waiter = None

    def close(self) -> None:
        if self.conn is not None and self.conn.transport is not None:
            self.conn.transport.close()
