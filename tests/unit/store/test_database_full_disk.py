"""The group-commit writer on a full disk (a real tmpfs, so SQLite itself answers SQLITE_FULL): a batch whose
commit fails fails for every write in it (none acknowledged, none stored), each caller gets `Unavailable`,
and the writer goes on: once there is room, the next write commits."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

from handoff.errors import Unavailable
from tests.fault_support import fill, require_root, tiny_filesystem
from tests.unit.helpers import open_database, run


def insert(action: str) -> object:
    def write(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO events (actor_type, action, created_at) VALUES ('system', ?, 'now')", (action,))
        return action

    return write


def test_a_batch_the_full_disk_refuses_fails_whole_and_the_writer_recovers(db_path: str, tmp_path: Path) -> None:
    require_root("the full-disk test")
    with tiny_filesystem(tmp_path / "disk", "2m") as disk:
        path = str(disk / "unit.sqlite")
        shutil.copy(db_path, path)
        filler = disk / "filler"

        async def scenario() -> tuple[list[object], int, int, str]:
            async with open_database(path) as db:
                await db.write(insert("before"))
                fill(filler)
                commits = db.commits
                # Queued together, so they share one batch (and one failing commit).
                names = [f"refused {n} " + "z" * 20_000 for n in range(40)]
                outcomes = await asyncio.gather(*(db.write(insert(name)) for name in names), return_exceptions=True)
                refused_commits = db.commits - commits
                filler.unlink()
                after = await db.write(insert("after"))
                return outcomes, refused_commits, db.commits - commits, after

        outcomes, refused_commits, commits, after = run(scenario())
        assert all(isinstance(o, Unavailable) and o.status_code == 503 for o in outcomes), outcomes
        assert "full" in str(outcomes[0])
        assert refused_commits == 0 and commits == 1 and after == "after"
        with sqlite3.connect(path) as other:
            stored = [row[0] for row in other.execute("SELECT action FROM events ORDER BY id")]
        assert stored[-2:] == ["before", "after"] and not [a for a in stored if a.startswith("refused")]
