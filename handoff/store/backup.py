"""Online backup of the SQLite database while the server writes to it (`migrate_schema.py --backup PATH`).

SQLite's backup API copies the file page by page. Run in steps against a database another connection keeps
writing to, it starts over whenever the source changes, which on a busy server can be forever; so the copy
holds one read transaction on the source for its whole length. In WAL mode that pins a consistent snapshot
without blocking the server's writer (it keeps appending to the WAL; only checkpoints cannot pass the
snapshot until the copy is done), and the steps let the command show progress.

The copy is written beside the target as `PATH.partial` (mode 600, like the database), checked with
`PRAGMA integrity_check`, and only then renamed to PATH, so PATH is always either absent or a whole,
checked copy.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from handoff.store.database import FILE_MODE

PAGES_PER_STEP = 4096  # 16 MiB at the default 4 KiB page: a progress line every few tens of milliseconds


class BackupError(Exception):
    """The backup could not be made or did not check out; the message says why (no partial file is left)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    pages: int
    bytes: int


def backup(source: str, target: str, progress: Callable[[int, int], None] | None = None) -> BackupResult:
    """Copy the database at `source` to `target` (which must not exist) while other processes write to it."""
    destination = Path(target)
    if destination.exists():
        raise BackupError(f"{target} already exists: choose a new file name (a backup never overwrites one)")
    if not Path(source).is_file():
        raise BackupError(f"no database at {source}")
    partial = destination.with_name(destination.name + ".partial")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except OSError as exc:
        raise BackupError(f"cannot create {partial}: {exc.strerror}") from None
    os.close(fd)
    try:
        pages = _copy(source, partial, progress)
        _check(partial)
        partial.replace(destination)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    return BackupResult(destination, pages, destination.stat().st_size)


def _copy(source: str, partial: Path, progress: Callable[[int, int], None] | None) -> int:
    # Read-only: a backup must never write to the live database (mode=ro still takes part in WAL locking).
    uri = f"file:{quote(os.path.abspath(source))}?mode=ro"
    pages = 0
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)) as src:
            src.execute("BEGIN")
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # starts the read: the snapshot
            with contextlib.closing(sqlite3.connect(partial)) as dst:

                def step(status: int, remaining: int, total: int) -> None:
                    nonlocal pages
                    pages = total
                    if progress is not None:
                        progress(total - remaining, total)

                src.backup(dst, pages=PAGES_PER_STEP, progress=step)
                dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file: no -wal beside it
            src.execute("COMMIT")
    except sqlite3.Error as exc:
        raise BackupError(f"backup failed: {exc}") from None
    return pages


def _check(partial: Path) -> None:
    with contextlib.closing(sqlite3.connect(partial)) as copy:
        verdict = [row[0] for row in copy.execute("PRAGMA integrity_check").fetchall()]
    if verdict != ["ok"]:
        raise BackupError("the copy failed its integrity check: " + "; ".join(verdict[:5]))
