"""The database layer: group commit, per-write failure isolation, durability before the caller resumes."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sqlite3
import threading
from collections.abc import Callable

import pytest

from handoff.store.database import Database
from tests.unit.helpers import open_database, run


def insert_event(action: str) -> Callable[[sqlite3.Connection], None]:
    def write(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO events (actor_type, action, created_at) VALUES ('system', ?, 'now')", (action,))

    return write


def actions(path: str) -> list[str]:
    """What another connection sees committed, in insertion order."""
    with sqlite3.connect(path) as other:
        return [row[0] for row in other.execute("SELECT action FROM events ORDER BY id")]


def test_concurrent_writes_share_commits_and_each_is_durable_on_return(db_path: str) -> None:
    async def scenario() -> tuple[int, int, list[int]]:
        async with open_database(db_path) as db:

            async def one(i: int) -> int:
                def write(conn: sqlite3.Connection) -> int:
                    conn.execute(
                        "INSERT INTO events (actor_type, action, created_at) VALUES ('system', ?, 'now')", (f"e{i}",)
                    )
                    return i

                result = await db.write(write)
                # Returned means committed: a separate connection sees it immediately.
                with sqlite3.connect(db_path) as other:
                    assert other.execute("SELECT 1 FROM events WHERE action = ?", (f"e{i}",)).fetchone()
                return result

            results = await asyncio.gather(*(one(i) for i in range(300)))
            return db.commits, db.writes, results

    commits, writes, results = run(scenario())
    assert results == list(range(300))
    assert writes == 300
    assert commits < 300  # group commit: writes that queue up while one commits share the next


def test_a_failing_write_is_rolled_back_alone(db_path: str) -> None:
    async def scenario() -> Database:
        async with open_database(db_path) as db:

            def good(conn: sqlite3.Connection) -> None:
                conn.execute("INSERT INTO events (actor_type, action, created_at) VALUES ('system', 'kept', 'now')")

            def bad(conn: sqlite3.Connection) -> None:
                conn.execute("INSERT INTO events (actor_type, action, created_at) VALUES ('system', 'dropped', 'now')")
                raise ValueError("boom")

            outcomes = await asyncio.gather(db.write(good), db.write(bad), db.write(good), return_exceptions=True)
            assert outcomes[0] is None and outcomes[2] is None
            assert isinstance(outcomes[1], ValueError) and str(outcomes[1]) == "boom"
            # One transaction for the three: the failure was undone to its savepoint, not the batch rolled back.
            assert (db.commits, db.writes) == (1, 3)
            rows = await db.fetchall("SELECT action FROM events ORDER BY id")
            assert [r["action"] for r in rows] == ["kept", "kept"]
        return db

    closed = run(scenario())
    assert actions(db_path) == ["kept", "kept"]

    async def after_close() -> None:
        with pytest.raises(RuntimeError):
            await closed.write(lambda conn: None)

    run(after_close())


def test_reads_see_only_committed_data(db_path: str) -> None:
    """A reading connection never sees a write that is still inside its transaction: while the write job
    holds its row uncommitted, another connection (as the app's readers are) counts none of it."""
    seen_during: list[int] = []

    def count(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT count(*) FROM events WHERE action = 'slow'").fetchone()[0])

    def count_elsewhere() -> None:
        with contextlib.closing(sqlite3.connect(db_path)) as other:
            seen_during.append(count(other))

    def insert_then_look(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO events (actor_type, action, created_at) VALUES ('system', 'slow', 'now')")
        looker = threading.Thread(target=count_elsewhere)
        looker.start()
        looker.join(10)
        return "done"

    async def scenario() -> tuple[str, int]:
        async with open_database(db_path) as db:
            result = await db.write(insert_then_look)
            return result, await db.read(count)

    assert run(scenario()) == ("done", 1)
    assert seen_during == [0]


def test_writes_queued_before_close_still_commit(db_path: str) -> None:
    async def scenario() -> list[None]:
        db = Database(db_path)
        await db.open()
        writes = [asyncio.create_task(db.write(insert_event(f"late{i}"))) for i in range(5)]
        await asyncio.sleep(0)  # each task has queued its write
        await db.close()
        return [task.result() for task in writes]

    assert run(scenario()) == [None] * 5
    assert actions(db_path) == [f"late{i}" for i in range(5)]


def test_a_write_runs_in_its_callers_context(db_path: str) -> None:
    """On the writer thread, but with the caller's context variables (the request id audit rows record)."""
    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")

    async def scenario() -> list[str]:
        async with open_database(db_path) as db:

            async def as_request(rid: str) -> str:
                request_id.set(rid)
                return await db.write(lambda conn: request_id.get())

            return list(await asyncio.gather(*(as_request(f"r{i}") for i in range(3))))

    assert run(scenario()) == ["r0", "r1", "r2"]


def test_connection_pragmas(db_path: str) -> None:
    async def scenario() -> tuple[int, int, str]:
        async with open_database(db_path) as db:
            sync = await db.read(lambda c: c.execute("PRAGMA synchronous").fetchone()[0])
            fks = await db.read(lambda c: c.execute("PRAGMA foreign_keys").fetchone()[0])
            mode = await db.read(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0])
            return sync, fks, mode

    assert run(scenario()) == (2, 1, "wal")  # 2 = FULL


def test_a_write_waiting_for_another_process_lock_never_blocks_the_loop(db_path: str) -> None:
    """Statements run on the loop's thread, but a BEGIN that must wait for another process's write lock waits
    on the commit thread: meanwhile the loop goes on serving (here: a read, and a timer), and once the lock is
    released the write commits."""

    async def scenario() -> tuple[list[str], int]:
        holder = sqlite3.connect(db_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process's writer, holding the write lock
        try:
            async with open_database(db_path) as db:
                order: list[str] = []
                writing = asyncio.create_task(db.write(insert_event("after the lock")))
                writing.add_done_callback(lambda _: order.append("write committed"))
                await asyncio.sleep(0.2)  # the loop runs while the write waits
                order.append(f"loop ran, read {len(await db.fetchall('SELECT id FROM events'))} rows")
                holder.execute("COMMIT")
                await writing
                return order, db.commits
        finally:
            holder.close()

    order, commits = run(scenario())
    assert order == ["loop ran, read 0 rows", "write committed"]
    assert commits == 1
    assert actions(db_path) == ["after the lock"]


def test_now_iso_spells_the_clock_as_iso_does_across_second_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    """now_iso keeps the whole second's text between calls: it must still follow the clock exactly."""
    from datetime import UTC, datetime

    from handoff.store import database

    clock = iter([1_764_609_586.0, 1_764_609_586.9996, 1_764_609_587.0421, 1_764_609_587.5, 1_764_640_000.25])
    seen: list[float] = []

    def fake_time() -> float:
        seen.append(next(clock))
        return seen[-1]

    monkeypatch.setattr(database.time, "time", fake_time)
    spelled = [database.now_iso() for _ in range(5)]
    monkeypatch.undo()
    expected = [database.iso(datetime.fromtimestamp(moment, UTC)) for moment in seen]
    assert spelled == expected
    assert spelled[1] == "2025-12-01T17:19:46.999Z" and spelled[2] == "2025-12-01T17:19:47.042Z"
