"""Helpers for the unit tests: running a coroutine, what the hub queued for a socket, an open `Database` on a
migrated file, rows to start from."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from handoff.config import Settings
from handoff.context import AppContext, Limits
from handoff.crypto import SecretBox
from handoff.live.hub import Hub
from handoff.live.sockets import Socket
from handoff.store.database import Database, now_iso

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine in a fresh event loop on a thread of its own.

    Not in the main thread: once a browser test has started Playwright's sync API, the main thread has a
    running loop for the rest of the session, and `asyncio.run` refuses to start there.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def queued(sock: Socket) -> list[dict[str, Any]]:
    """Take the frames the hub queued for a socket that is not running (nothing sends them)."""
    frames = []
    while not sock.queue.empty():
        frames.append(json.loads(sock.queue.get_nowait()))
    return frames


@asynccontextmanager
async def open_database(path: str) -> AsyncIterator[Database]:
    """The app's `Database` (writer task, reader connections) on `path`, closed afterwards."""
    db = Database(path)
    await db.open()
    try:
        yield db
    finally:
        await db.close()


@asynccontextmanager
async def app_context(path: str) -> AsyncIterator[AppContext]:
    """An `AppContext` on a migrated file with a real hub and no outbound adapters (`channels` empty)."""
    async with open_database(path) as db:
        settings = Settings(db_path=path, jwt_secret="unit-test-" + "k" * 32)
        ctx = AppContext(
            settings=settings, db=db, hub=Hub(), limits=Limits(), secrets=SecretBox(settings.jwt_secret), channels={}
        )
        try:
            yield ctx
        finally:
            await ctx.http.aclose()


def add_tenant(conn: sqlite3.Connection) -> int:
    row = conn.execute(
        "INSERT INTO tenants (name, widget_key, created_at) VALUES (?, ?, ?) RETURNING id",
        (f"Shop {uuid.uuid4().hex[:6]}", uuid.uuid4().hex, now_iso()),
    ).fetchone()
    return int(row["id"])


def add_user(conn: sqlite3.Connection, tenant_id: int, name: str = "Sam") -> int:
    row = conn.execute(
        "INSERT INTO users (tenant_id, email, name, password_hash, role, created_at) VALUES (?, ?, ?, 'x', 'staff', ?)"
        " RETURNING id",
        (tenant_id, f"{uuid.uuid4().hex[:8]}@example.com", name, now_iso()),
    ).fetchone()
    return int(row["id"])
