"""Helpers for the fault tests: a tiny filesystem to fill, a visitor that counts its acknowledgements, and
the server's stored messages by client id."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support import LiveServer, Sock, eventually, query, visitor_session, visitor_socket

# Generous limits: the fault tests send far more than a person would.
BUSY_ENV = {"VISITOR_MESSAGES_PER_MINUTE": "1000000", "IP_REQUESTS_PER_MINUTE": "1000000"}


def require_root(what: str) -> None:
    """Root is needed to mount a filesystem: skip with one line elsewhere, fail in CI (which runs as root)."""
    if os.geteuid() == 0:
        return
    message = f"{what} needs root (it mounts a tmpfs)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def tiny_filesystem(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` (e.g. "4m") mounted on `where`, unmounted afterwards."""
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(path: Path) -> int:
    """Write `path` until the filesystem is full; returns the bytes written."""
    written = 0
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as out:
        while True:
            try:
                out.write(chunk)
                written += len(chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
        # What is left is smaller than a chunk: fill it 512 bytes at a time.
        while True:
            try:
                out.write(b"\0" * 512)
                written += 512
            except OSError:
                break
    return written


def client_id(prefix: str = "c") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def visitor(server: LiveServer, widget_key: str) -> tuple[dict[str, Any], Sock]:
    """A new visitor's session and authenticated socket (its first frame, the presence, read)."""
    session = visitor_session(server, widget_key)
    sock = visitor_socket(server, session)
    assert sock.recv()["type"] == "presence"
    return session, sock


def answer_to(sock: Sock, cid: str, timeout: float = 30) -> dict[str, Any]:
    """The `ack` or `error` frame for `cid`."""
    return sock.recv_until(lambda f: f["type"] in ("ack", "error") and f.get("client_id") == cid, timeout)


def stored(server: LiveServer, client_ids: list[str]) -> dict[str, list[int]]:
    """client id -> the ids of the messages stored with it (one, when stored once)."""
    found: dict[str, list[int]] = {cid: [] for cid in client_ids}
    for start in range(0, len(client_ids), 500):
        part = client_ids[start : start + 500]
        marks = ",".join("?" * len(part))
        for message_id, cid in query(server, f"SELECT id, client_id FROM messages WHERE client_id IN ({marks})", *part):
            found[cid].append(message_id)
    return found


class Talker:
    """One client sending over a socket with up to `window` messages unacknowledged, in a thread of its own,
    until the server closes the socket (or `stop()`); on a new socket, `resend()` sends every message never
    acknowledged again with the same client id, as the widget and the admin app do after reconnecting.

    `frame(cid, n)` builds the n-th message frame (`message` for a visitor, `send` for staff)."""

    def __init__(self, name: str, frame: Callable[[str, int], dict[str, Any]], window: int = 8) -> None:
        self.name, self.frame, self.window = name, frame, window
        self.sent: list[str] = []
        self.acked: dict[str, int] = {}  # client id -> message id from its (latest) ack
        self.errors: list[dict[str, Any]] = []
        self.close_code: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def unacked(self) -> list[str]:
        return [cid for cid in self.sent if cid not in self.acked]

    def start(self, sock: Sock) -> Talker:
        self._thread = threading.Thread(target=self._talk, args=(sock,), name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float = 60) -> None:
        assert self._thread is not None
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"{self.name} still talking"

    def wait_acks(self, count: int, timeout: float = 30) -> None:
        eventually(lambda: len(self.acked) >= count, timeout)

    def _talk(self, sock: Sock) -> None:
        in_flight: set[str] = set()
        try:
            while True:
                while len(in_flight) < self.window and not self._stop.is_set():
                    cid = client_id(self.name)
                    self.sent.append(cid)  # counted as sent before it is on the wire: it may be stored
                    sock.send(self.frame(cid, len(self.sent)))
                    in_flight.add(cid)
                if self._stop.is_set() and not in_flight:
                    return
                self._take(sock.recv(timeout=30), in_flight)
        except ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd is not None else 1006
            self._read_rest(sock, in_flight)
        except OSError:  # the server vanished mid-send (kill -9)
            self.close_code = 1006

    def _read_rest(self, sock: Sock, in_flight: set[str]) -> None:
        """A send can find the socket closed while acks that came before the close are still unread."""
        with contextlib.suppress(ConnectionClosed, TimeoutError, OSError):
            while True:
                self._take(sock.recv(timeout=5), in_flight)

    def _take(self, frame: dict[str, Any], in_flight: set[str]) -> None:
        cid = frame.get("client_id")
        if frame["type"] == "ack" and cid in in_flight:
            in_flight.discard(cid)
            self.acked[cid] = frame["message_id"]
        elif frame["type"] == "error" and cid in in_flight:
            in_flight.discard(cid)
            self.errors.append(frame)

    def resend(self, sock: Sock, timeout: float = 30) -> int:
        """Send every unacknowledged message again (same client ids) and wait for each ack; returns how many."""
        todo = self.unacked
        for n, cid in enumerate(todo):
            sock.send(self.frame(cid, n))
        waiting = set(todo)
        while waiting:
            frame = sock.recv(timeout)
            if frame["type"] == "error" and frame.get("client_id") in waiting:
                raise AssertionError(f"{self.name}: resend refused: {frame}")
            self._take(frame, waiting)
        return len(todo)
