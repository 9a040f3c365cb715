"""PostgresDatabase: durable on return, a failing write rolls back alone, reads see committed data only."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import psycopg
import pytest
from psycopg_pool import PoolTimeout

from handoff.config import Settings
from handoff.store import migrator
from handoff.store.backend import open_database
from handoff.store.postgres import AbortedWrite, PostgresDatabase

T = TypeVar("T")
REQUEST = contextvars.ContextVar("request", default="none")


def run(scenario: Callable[[PostgresDatabase], Awaitable[T]], url: str) -> T:
    """Opens the database, runs the scenario, closes it; on a thread of its own (as tests/test_db.py)."""

    async def wrapped() -> T:
        db = PostgresDatabase(url, writers=4, readers=2, report_readers=1)
        await db.open()
        try:
            return await scenario(db)
        finally:
            await db.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, wrapped()).result()


@pytest.fixture(scope="module")
def url(pg_url: str) -> str:
    migrator.migrate(pg_url)
    return pg_url


def event(action: str) -> Callable[[sqlite3.Connection], str]:
    def write(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO events (actor_type, action, created_at) VALUES ('system', ?, 'now')", (action,))
        return action

    return write


def test_concurrent_writes_are_each_durable_on_return(url: str) -> None:
    async def scenario(db: PostgresDatabase) -> list[str]:
        async def one(i: int) -> str:
            action = await db.write(event(f"durable-{i}"))
            # Returned means committed: a connection of its own sees it at once.
            with psycopg.connect(url) as other:
                assert other.execute("SELECT 1 FROM events WHERE action = %s", (action,)).fetchone()
            return action

        return list(await asyncio.gather(*(one(i) for i in range(40))))

    assert run(scenario, url) == [f"durable-{i}" for i in range(40)]


def test_a_failing_write_rolls_back_alone(url: str) -> None:
    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO events (actor_type, action, created_at) VALUES ('system', 'dropped', 'now')")
        raise ValueError("boom")

    def duplicate(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO events (actor_type, action, created_at) VALUES ('system', 'dropped', 'now')")
        conn.execute("INSERT INTO tenants (id, name, widget_key, created_at) VALUES (1, 'a', 'same', 'now')")
        conn.execute("INSERT INTO tenants (id, name, widget_key, created_at) VALUES (2, 'b', 'same', 'now')")

    async def scenario(db: PostgresDatabase) -> tuple[list[Any], list[str]]:
        outcomes = await asyncio.gather(
            db.write(event("kept")), db.write(bad), db.write(duplicate), db.write(event("kept")), return_exceptions=True
        )
        rows = await db.fetchall("SELECT action FROM events WHERE action IN ('kept', 'dropped') ORDER BY id")
        return outcomes, [r["action"] for r in rows]

    outcomes, actions = run(scenario, url)
    assert isinstance(outcomes[1], ValueError)
    # Raised as sqlite3's kind (one name for callers on both databases), caused by PostgreSQL's own.
    assert isinstance(outcomes[2], sqlite3.IntegrityError)
    assert isinstance(outcomes[2].__cause__, psycopg.errors.UniqueViolation)
    assert actions == ["kept", "kept"]


def test_a_write_that_swallows_a_database_error_is_not_reported_as_committed(url: str) -> None:
    def swallowing(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO events (actor_type, action, created_at) VALUES ('system', 'swallowed', 'now')")
        # Fine on SQLite; on PostgreSQL the transaction is aborted from here on.
        with contextlib.suppress(psycopg.Error):
            conn.execute("INSERT INTO no_such_table VALUES (1)")
        return "done"

    async def scenario(db: PostgresDatabase) -> tuple[Any, Any]:
        outcome = (await asyncio.gather(db.write(swallowing), return_exceptions=True))[0]
        return outcome, await db.fetchone("SELECT 1 FROM events WHERE action = 'swallowed'")

    outcome, row = run(scenario, url)
    assert isinstance(outcome, AbortedWrite) and row is None


def test_reads_see_committed_data_only(url: str) -> None:
    async def scenario(db: PostgresDatabase) -> tuple[Any, Any, Any, Any]:
        writing, release = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()

        def slow(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO events (actor_type, action, created_at) VALUES ('system', 'pending', 'now')")
            loop.call_soon_threadsafe(writing.set)
            asyncio.run_coroutine_threadsafe(release.wait(), loop).result(timeout=10)

        task = asyncio.create_task(db.write(slow))
        await writing.wait()
        during = await db.fetchone("SELECT count(*) AS n FROM events WHERE action = ?", ("pending",))
        release.set()
        await task
        after = await db.fetchone("SELECT count(*) AS n FROM events WHERE action = ?", ("pending",))
        missing = await db.fetchone("SELECT * FROM events WHERE action = ?", ("no such",))
        report = await db.read_report(lambda c: c.execute("SELECT count(*) FROM events").fetchone()[0])
        return during["n"], after["n"], missing, report

    during, after, missing, report = run(scenario, url)
    assert (during, after, missing) == (0, 1, None) and report >= 1


def test_writes_run_in_the_callers_context(url: str) -> None:
    async def scenario(db: PostgresDatabase) -> str:
        REQUEST.set("req-42")
        return await db.write(lambda conn: REQUEST.get())

    assert run(scenario, url) == "req-42"


def test_closed_database_refuses_work_and_its_repr_hides_the_password(url: str) -> None:
    async def scenario() -> None:
        db = PostgresDatabase(url.replace("postgres@", "postgres:hunter2@"), writers=1, readers=1, report_readers=1)
        assert "hunter2" not in repr(db)
        await db.open()
        assert [dict(r) for r in await db.fetchall("SELECT 1 AS one")] == [{"one": 1}]
        await db.close()
        with pytest.raises(RuntimeError):
            await db.write(event("late"))
        with pytest.raises(RuntimeError):
            await db.fetchone("SELECT 1")

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, scenario()).result()


def test_open_database_chooses_by_database_url(url: str, tmp_path: Any) -> None:
    async def scenario() -> tuple[str, str]:
        chosen = []
        for settings in (Settings(str(tmp_path / "h.sqlite")), Settings(str(tmp_path / "x"), database_url=url)):
            db = await open_database(settings)
            chosen.append(type(db).__name__)
            await db.close()
        return chosen[0], chosen[1]

    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, scenario()).result() == ("Database", "PostgresDatabase")


def test_an_unreachable_server_fails_open_without_leaving_pools_behind() -> None:
    async def scenario() -> None:
        db = PostgresDatabase("postgresql://postgres@127.0.0.1:1/none", writers=1, readers=1, open_timeout=1)
        with pytest.raises(PoolTimeout):
            await db.open()
        with pytest.raises(RuntimeError, match="not open"):
            await db.fetchone("SELECT 1")

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, scenario()).result()
