"""Helpers for the unit tests: running a coroutine, and an open `Database` on a migrated file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from handoff.store.database import Database

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine in a fresh event loop on a thread of its own.

    Not in the main thread: once a browser test has started Playwright's sync API, the main thread has a
    running loop for the rest of the session, and `asyncio.run` refuses to start there.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@asynccontextmanager
async def open_database(path: str) -> AsyncIterator[Database]:
    """The app's `Database` (writer task, reader connections) on `path`, closed afterwards."""
    db = Database(path)
    await db.open()
    try:
        yield db
    finally:
        await db.close()
