"""A slow consumer against the real server: a staff client that completes the handshake, signs in and then
never reads, so the TCP buffers fill and the server's queue for it grows. The server closes it with 1013
("try again later"; it reconnects and refetches) and nobody else waits for it: the other staff socket gets
every event, in order, while the stalled one still holds the server's unread data."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from pathlib import Path

from tests.fault_support import BUSY_ENV, client_id, visitor
from tests.support import LiveServer, Sock, make_tenant, staff_socket

TEXT = "y" * 4000  # big events fill the buffers sooner
TOO_SLOW = "socket fell"  # the server's warning when it cuts a socket off


def stalled_staff_socket(server: LiveServer, token: str) -> socket.socket:
    """A raw WebSocket client with a tiny receive buffer: handshake, auth frame, and then it reads nothing."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        f"GET /admin-ws HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += raw.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    payload = json.dumps({"type": "auth", "token": token}).encode()
    mask = os.urandom(4)
    raw.sendall(
        bytes([0x81, 0x80 | 126])
        + struct.pack("!H", len(payload))
        + mask
        + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    )
    return raw


def read_exactly(raw: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = raw.recv(size - len(data))
        if not chunk:
            raise EOFError("the server closed the connection without a close frame")
        data += chunk
    return data


def close_code(raw: socket.socket) -> tuple[int, int]:
    """Read the stalled client's backlog up to the server's close frame: (frames before it, its code)."""
    raw.settimeout(30)
    frames = 0
    while True:
        first, second = read_exactly(raw, 2)
        size = second & 0x7F
        if size == 126:
            size = struct.unpack("!H", read_exactly(raw, 2))[0]
        elif size == 127:
            size = struct.unpack("!Q", read_exactly(raw, 8))[0]
        payload = read_exactly(raw, size)
        if first & 0x0F == 0x8:
            return frames, struct.unpack("!H", payload[:2])[0]
        frames += 1


def test_a_staff_socket_that_stops_reading_is_closed_with_1013_and_slows_nobody(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, **BUSY_ENV).start()
    try:
        admin, key = make_tenant(server)
        _, visitor_sock = visitor(server, key)
        cid = client_id()
        visitor_sock.send({"type": "message", "text": "hello", "client_id": cid})
        visitor_sock.recv_until(lambda f: f["type"] == "ack")
        conversation_id = admin.get("/admin/api/convos").json()["conversations"][0]["id"]
        token = admin.token or ""
        stalled = stalled_staff_socket(server, token)
        watcher = staff_socket(server, token)  # reads everything, as it comes
        sender = staff_socket(server, token)

        sent = 0
        while TOO_SLOW not in server.log():
            assert sent < 40_000, "the stalled socket was never cut off"
            batch = [client_id("s") for _ in range(200)]
            for cid in batch:
                sender.send({"type": "send", "conversation_id": conversation_id, "text": TEXT, "client_id": cid})
            acked = {f["client_id"] for f in take(sender, len(batch))}
            assert acked == set(batch)  # the sender's own answers kept coming while the stalled one read nothing
            sent += len(batch)
            # The watcher has every event so far, in order: nothing waited on the stalled socket.
            seen = [f["message"]["client_id"] for f in take_messages(watcher, len(batch))]
            assert seen == batch

        backlog, code = close_code(stalled)
        assert code == 1013
        assert backlog < sent  # it was cut off, not served to the end
        # The others are still open and served.
        last = client_id("s")
        sender.send({"type": "send", "conversation_id": conversation_id, "text": "still here", "client_id": last})
        assert watcher.recv_until(lambda f: f["type"] == "message" and f["message"]["client_id"] == last)
        stalled.close()
        for sock in (watcher, sender, visitor_sock):
            sock.close()
    finally:
        server.stop()


def take(sock: Sock, count: int) -> list[dict[str, object]]:
    """The next `count` ack or error frames (other frames skipped)."""
    return [sock.recv_until(lambda f: f["type"] in ("ack", "error"), timeout=60) for _ in range(count)]


def take_messages(sock: Sock, count: int) -> list[dict[str, object]]:
    return [sock.recv_until(lambda f: f["type"] == "message", timeout=60) for _ in range(count)]
