"""Helpers for the fault tests: a tiny filesystem to fill, a visitor that counts its acknowledgements, and
the server's stored messages by client id."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import LiveServer, Sock, query, visitor_session, visitor_socket

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
        # The last partial pages: byte by byte.
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
