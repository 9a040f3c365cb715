"""The database layer: group commit, per-write failure isolation, durability before the caller resumes."""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from handoff.store.database import Database
from handoff.store.migrator import migrate


def run(coro):  # type: ignore[no-untyped-def]
    """On a thread of its own: Playwright's sync API (browser tests) keeps a loop running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_concurrent_writes_share_commits_and_each_is_durable_on_return(tmp_path: Path) -> None:
    path = str(tmp_path / "g.sqlite")
    migrate(path)

    async def scenario() -> tuple[int, int, list[int]]:
        db = Database(path)
        await db.open()

        async def one(i: int) -> int:
            def write(conn: sqlite3.Connection) -> int:
                conn.execute(
                    "INSERT INTO events (actor_type, action, created_at) VALUES ('system', ?, 'now')", (f"e{i}",)
                )
                return i

            result = await db.write(write)
            # Returned means committed: a separate connection sees it immediately.
            with sqlite3.connect(path) as other:
                assert other.execute("SELECT 1 FROM events WHERE action = ?", (f"e{i}",)).fetchone()
            return result

        results = await asyncio.gather(*(one(i) for i in range(300)))
        commits, writes = db.commits, db.writes
        await db.close()
        return commits, writes, results

    commits, writes, results = run(scenario())
    assert results == list(range(300))
    assert writes == 300
    assert commits < 300  # group commit: writes that queue up while one commits share the next


def test_a_failing_write_is_rolled_back_alone(tmp_path: Path) -> None:
    path = str(tmp_path / "f.sqlite")
    migrate(path)

    async def scenario() -> None:
        db = Database(path)
        await db.open()

        def good(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO events (actor_type, action, created_at) VALUES ('system', 'kept', 'now')")

        def bad(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO events (actor_type, action, created_at) VALUES ('system', 'dropped', 'now')")
            raise ValueError("boom")

        outcomes = await asyncio.gather(db.write(good), db.write(bad), db.write(good), return_exceptions=True)
        assert isinstance(outcomes[1], ValueError)
        rows = await db.fetchall("SELECT action FROM events ORDER BY id")
        assert [r["action"] for r in rows] == ["kept", "kept"]
        await db.close()
        with pytest.raises(RuntimeError):
            await db.write(good)

    run(scenario())


def test_connection_pragmas(tmp_path: Path) -> None:
    path = str(tmp_path / "p.sqlite")
    migrate(path)

    async def scenario() -> tuple[int, int, str]:
        db = Database(path)
        await db.open()
        sync = await db.read(lambda c: c.execute("PRAGMA synchronous").fetchone()[0])
        fks = await db.read(lambda c: c.execute("PRAGMA foreign_keys").fetchone()[0])
        mode = await db.read(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0])
        await db.close()
        return sync, fks, mode

    assert run(scenario()) == (2, 1, "wal")  # 2 = FULL
