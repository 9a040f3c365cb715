"""PostgresDatabase when the server drops its connections (a restart, an administrator, a full disk): the
write in progress fails with `Unavailable` (503 / an `error` frame), nothing of it is stored, and the next
writes go through once the pool has connected again."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import psycopg
import pytest

from handoff.errors import Unavailable
from handoff.store import migrator
from handoff.store.postgres import PostgresDatabase

T = TypeVar("T")


@pytest.fixture(scope="module")
def url(pg_url: str) -> str:
    migrator.migrate(pg_url)
    return pg_url


def insert(action: str) -> object:
    def write(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO events (actor_type, action, created_at) VALUES ('system', ?, 'now')", (action,))
        conn.execute("SELECT pg_sleep(0.5)")  # still running when its connection is cut
        return action

    return write


def wait_until_sleeping(url: str) -> None:
    """Until the write is inside its pg_sleep, as the server reports it."""
    with psycopg.connect(url, autocommit=True) as admin:
        for _ in range(500):
            found = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state = 'active' AND query LIKE 'SELECT pg_sleep%%'"
            ).fetchone()
            if found and found[0]:
                return
            admin.execute("SELECT pg_sleep(0.01)")
    raise AssertionError("the write never started")


def terminate_backends(url: str) -> None:
    """What a server restart or `pg_terminate_backend` does to every connection of this database."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


async def until_available(attempt: Callable[[], Awaitable[T]]) -> T:
    """The pool replaces its dead connections one by one: each refused attempt discards one."""
    for _ in range(100):
        try:
            return await attempt()
        except Unavailable:
            continue
    raise AssertionError("the database never came back")


def test_a_dropped_connection_is_unavailable_stores_nothing_and_the_next_write_goes_through(url: str) -> None:
    async def scenario() -> tuple[object, list[str]]:
        db = PostgresDatabase(url, writers=2, readers=1, report_readers=1)
        await db.open()
        try:
            cut = asyncio.ensure_future(db.write(insert("cut off")))
            await asyncio.to_thread(wait_until_sleeping, url)
            await asyncio.to_thread(terminate_backends, url)
            (outcome,) = await asyncio.gather(cut, return_exceptions=True)
            await until_available(lambda: db.write(insert("after")))
            rows = await until_available(
                lambda: db.fetchall("SELECT action FROM events WHERE action IN ('cut off', 'after')")
            )
            return outcome, [row["action"] for row in rows]
        finally:
            await db.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        outcome, stored = pool.submit(asyncio.run, scenario()).result()
    assert isinstance(outcome, Unavailable) and outcome.status_code == 503, outcome
    assert "unavailable" in outcome.detail
    assert stored == ["after"]
