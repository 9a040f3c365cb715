"""The online backup against a real SQLite file that another connection keeps writing to: it finishes (a
stepwise copy without a pinned snapshot would start over on every write), in several steps, and the copy is
one consistent moment of the source."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from handoff.store import backup as backup_module
from handoff.store.backup import BackupError, backup


def busy_source(path: Path, rows: int) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        conn.executemany("INSERT INTO t (body) VALUES (randomblob(3000))", [()] * rows)


def test_a_backup_finishes_in_steps_while_another_connection_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = tmp_path / "live.sqlite", tmp_path / "copy.sqlite"
    busy_source(source, 2000)
    monkeypatch.setattr(backup_module, "PAGES_PER_STEP", 50)  # many steps, each a chance for a write
    stop, written = threading.Event(), [0]

    def writer() -> None:
        with sqlite3.connect(source, isolation_level=None) as conn:
            while not stop.is_set():
                conn.execute("INSERT INTO t (body) VALUES (randomblob(3000))")
                written[0] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    steps: list[tuple[int, int]] = []
    try:
        while written[0] < 50:  # the writer is under way before the copy starts
            threading.Event().wait(0.001)
        result = backup(str(source), str(target), lambda done, total: steps.append((done, total)))
    finally:
        stop.set()
        thread.join()
    assert written[0] > 50
    assert len(steps) > 20 and steps[-1][0] == steps[-1][1] == result.pages
    assert [done for done, _ in steps] == sorted(done for done, _ in steps)  # never started over
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        ids = [row[0] for row in copy.execute("SELECT id FROM t ORDER BY id")]
    assert ids == list(range(1, len(ids) + 1)) and len(ids) >= 2000  # one moment: no gap, nothing torn
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert not (tmp_path / "copy.sqlite.partial").exists()


def test_a_backup_never_overwrites_and_leaves_nothing_behind_on_failure(tmp_path: Path) -> None:
    source, target = tmp_path / "live.sqlite", tmp_path / "copy.sqlite"
    busy_source(source, 10)
    target.write_text("an older backup")
    with pytest.raises(BackupError, match="already exists"):
        backup(str(source), str(target))
    assert target.read_text() == "an older backup"
    with pytest.raises(BackupError, match="no database"):
        backup(str(tmp_path / "missing.sqlite"), str(tmp_path / "other.sqlite"))
    not_a_database = tmp_path / "garbage.sqlite"
    not_a_database.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BackupError, match="backup failed"):
        backup(str(not_a_database), str(tmp_path / "third.sqlite"))
    assert not list(tmp_path.glob("*.partial")) and not (tmp_path / "third.sqlite").exists()
