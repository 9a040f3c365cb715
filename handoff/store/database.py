"""The database: one writer connection that group-commits, and reader connections, all long-lived.

Writes are plain synchronous functions of a `sqlite3.Connection`. The writer task takes every write that
is waiting and runs the whole batch in ONE transaction, commits once, and only then resumes each caller. A
write that raises is rolled back to its savepoint and its caller gets the exception; the rest of the batch
still commits. When the transaction itself fails (the disk is full, another process holds the file's write
lock past the busy timeout), every write of the batch fails with `errors.Unavailable` (503, or an `error`
frame): none is acknowledged, and the writer goes on with the next batch.

The batch's statements run on the event loop's thread and only the COMMIT (its fsync, and any checkpoint)
runs on a thread of its own. Statements on a second thread cost more than they save: each one releases
and takes back the GIL, and under load it waited for the loop to hand the GIL over (bench/README.md,
"The writer on the loop"). The loop is never blocked on the disk: a BEGIN that must wait for another
process's lock waits on the commit thread too.
This keeps `synchronous=FULL` (an acknowledged message survives a power cut) at thousands of writes/s.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiosqlite

from handoff import metrics
from handoff.errors import Unavailable

T = TypeVar("T")
WriteFn = Callable[[sqlite3.Connection], Any]
log = logging.getLogger("handoff.db")


# A constraint violation on either database: the PostgreSQL adapter raises its violations as this class
# too (pg_adapter.PgIntegrityError), so the SQLite default never imports psycopg.
IntegrityError = sqlite3.IntegrityError

MAX_BATCH = 512
# SQLite's INTEGER is signed 64-bit: binding a larger Python int raises OverflowError. Every id or cursor
# that arrives from outside is bounded to this first (web/params.py, live/frames.py).
MAX_INTEGER = 2**63 - 1
# Owner read/write only: the database holds password hashes, conversations and channel credentials.
FILE_MODE = 0o600
# Primary result codes that say "not now" rather than "bug": full disk, locked by another process, I/O
# error, read-only file, out of memory. They become `Unavailable` (503 / an `error` frame).
TRANSIENT_CODES = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_NOMEM,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
}


_this_second: tuple[int, str] = (-1, "")  # now_iso's last whole second and its text


def now_iso() -> str:
    """Current UTC time as the ISO 8601 text every table stores (sorts lexicographically), as `iso` spells it.

    Every stored message calls this: the whole second's text is kept until the second changes, which makes
    it a quarter of `iso(datetime.now(UTC))`'s cost. (One tuple, swapped whole: safe from any thread.)"""
    global _this_second
    now = time.time()
    whole = int(now)
    second = _this_second
    if second[0] != whole:
        second = _this_second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{second[1]}.{int((now - whole) * 1000):03d}Z"


def iso(moment: datetime) -> str:
    # isoformat rather than strftime: this runs for every stored message, and it is the cheaper of the two.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def row_or_none(cursor: sqlite3.Cursor) -> sqlite3.Row | None:
    """The cursor's next row, typed (sqlite3 types rows as Any)."""
    row: sqlite3.Row | None = cursor.fetchone()
    return row


def one_row(cursor: sqlite3.Cursor) -> sqlite3.Row:
    """The row a statement always yields (an INSERT or UPDATE ... RETURNING that matched)."""
    row = row_or_none(cursor)
    if row is None:
        raise LookupError("the statement returned no row")
    return row


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def make_private(path: str) -> None:
    """Create the database file with mode 600, or bring an existing one (and its -wal, -shm) to it.

    SQLite gives the -wal and -shm files it creates the main file's mode, whatever the umask, so a
    private main file is enough for them to be created private too."""
    if path == ":memory:" or path.startswith("file:"):
        return
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
    for name in (path, f"{path}-wal", f"{path}-shm", f"{path}-journal"):
        try:
            if os.stat(name).st_mode & 0o777 != FILE_MODE:
                os.chmod(name, FILE_MODE)
        except FileNotFoundError:
            continue
        except PermissionError:  # owned by another user: say so rather than refuse to start
            log.warning("cannot make %s private (mode 600): not its owner", name)


BUSY_TIMEOUT_MS = 5000


def configure(conn: sqlite3.Connection) -> None:
    """Pragmas every connection needs: WAL for concurrent readers, FULL sync for durability."""
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def ping(conn: sqlite3.Connection) -> None:
    """The health check's statement: a plain function of a connection, so every backend's `read` runs it."""
    conn.execute("SELECT 1").fetchone()


def unavailable(exc: BaseException, *, write: bool = True) -> Unavailable | None:
    """The `Unavailable` a SQLite error stands for, or None when it is not a "try again later" error."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(exc, sqlite3.Error) or code is None or code & 0xFF not in TRANSIENT_CODES:
        return None
    if write:
        return Unavailable(f"the database cannot store this now ({exc}); nothing was stored, try again shortly")
    return Unavailable(f"the database cannot answer now ({exc}); try again shortly")


def _rollback(conn: sqlite3.Connection) -> None:
    # SQLite may already have rolled the transaction back itself (SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY).
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.exception("rollback failed; the next batch tries again")


def _begin_now(conn: sqlite3.Connection) -> bool:
    """BEGIN IMMEDIATE on the loop's thread without waiting (the writer's busy timeout is 0): False when
    another process holds the write lock, and the caller waits for it on the commit thread instead."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_BUSY:
            raise
        return False
    return True


def _begin_waiting(conn: sqlite3.Connection) -> None:
    """Runs on the commit thread: BEGIN IMMEDIATE with the usual busy timeout."""
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    try:
        conn.execute("BEGIN IMMEDIATE")
    finally:
        conn.execute("PRAGMA busy_timeout=0")


def _run_jobs(conn: sqlite3.Connection, batch: Sequence[WriteFn]) -> list[tuple[bool, Any]]:
    """Runs inside the batch's transaction: a savepoint per job. If the transaction itself is lost (SQLite
    rolled it back: disk full, I/O error), raises: nothing of the batch is durable."""
    outcomes: list[tuple[bool, Any]] = []
    for job in batch:
        conn.execute("SAVEPOINT job")
        try:
            outcomes.append((True, job(conn)))
            conn.execute("RELEASE job")
        except Exception as exc:  # the job's caller gets it; the batch goes on
            if not conn.in_transaction:  # SQLite rolled everything back (disk full, I/O): the batch is lost
                raise
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            outcomes.append((False, exc))
    return outcomes


def _commit(conn: sqlite3.Connection) -> None:
    """Runs on the commit thread: the fsync that makes the batch durable. On failure nothing is."""
    try:
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


class Database:
    """Owns the writer and reader connections for the app's lifetime."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._writer: sqlite3.Connection | None = None
        self._commit_thread: ThreadPoolExecutor | None = None
        self._reader: aiosqlite.Connection | None = None
        # Reports (analytics, exports) read on their own connection so they never queue inbox reads.
        self._report_reader: aiosqlite.Connection | None = None
        # None is the stop sentinel: writes queued before it still commit.
        self._queue: asyncio.Queue[tuple[WriteFn, asyncio.Future[Any]] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.commits = 0
        self.writes = 0

    async def open(self) -> None:
        self._commit_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-commit")
        writer = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._writer = writer
        # Used by one thread at a time: the loop's for statements, the commit thread while the loop awaits it.
        await self._on_commit_thread(configure, writer)
        writer.execute("PRAGMA busy_timeout=0")  # a BEGIN that would wait is handed to the commit thread
        self._reader = await aiosqlite.connect(self.path, isolation_level=None)
        self._report_reader = await aiosqlite.connect(self.path, isolation_level=None)
        for conn in (self._reader, self._report_reader):
            await self._call(conn, configure)
        self._task = asyncio.create_task(self._write_loop(), name="db-writer")

    async def close(self) -> None:
        if self._task and not self._task.done():
            self._queue.put_nowait(None)
            await self._task
        if self._writer is not None:
            await self._on_commit_thread(self._writer.close)
        for conn in (self._reader, self._report_reader):
            if conn is not None:
                await conn.close()
        if self._commit_thread is not None:
            self._commit_thread.shutdown(wait=True)
        self._writer = self._reader = self._report_reader = None
        self._commit_thread = None

    async def _on_commit_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._commit_thread, fn, *args)

    @staticmethod
    async def _call(conn: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
        # aiosqlite's documented API hops threads once per statement; `_execute` runs a whole function
        # on the connection's own thread in one hop. Pinned aiosqlite version; covered by tests/unit/store/test_database.py.
        raw = conn._connection
        result: T = await conn._execute(fn, raw, *args)  # type: ignore[no-untyped-call]
        return result

    async def write(self, fn: Callable[[sqlite3.Connection], T], *, retry: bool = False) -> T:
        """Run `fn` inside a group-committed transaction; returns once that transaction is durable.

        `retry` (see `PostgresDatabase.write`) changes nothing here: with one writer no other transaction
        can deadlock with this one or fill a unique index between its reads and its writes."""
        if self._task is None or self._task.done():
            raise RuntimeError("database is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        # Run in the caller's context (request id for audit rows), though on the writer thread.
        context = contextvars.copy_context()
        self._queue.put_nowait((lambda conn: context.run(fn, conn), future))
        try:
            return await future
        except sqlite3.Error as exc:
            if (refused := unavailable(exc)) is not None:
                raise refused from exc
            raise

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` on the reader connection (sees only committed data)."""
        assert self._reader is not None, "database is not open"
        return await self._read_on(self._reader, fn)

    async def read_report(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a heavy read-only `fn` (analytics, exports) on its own connection."""
        assert self._report_reader is not None, "database is not open"
        return await self._read_on(self._report_reader, fn)

    async def _read_on(self, conn: aiosqlite.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return await self._call(conn, fn)
        except sqlite3.Error as exc:
            if (refused := unavailable(exc, write=False)) is not None:
                raise refused from exc
            raise

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return await self.read(lambda c: c.execute(sql, params).fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        return await self.read(lambda c: c.execute(sql, params).fetchone())

    async def _write_loop(self) -> None:
        writer = self._writer
        assert writer is not None
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                return
            # One more turn of the loop first: frames already read from other sockets join this batch.
            # A commit costs about as much as a message's own statements, so batch size matters.
            await asyncio.sleep(0)
            started = time.perf_counter()
            jobs = [first]
            try:
                _rollback(writer)  # a rollback that failed before must not leave this batch inside the last one
                if not _begin_now(writer):
                    await self._on_commit_thread(_begin_waiting, writer)
                while len(jobs) < MAX_BATCH and not self._queue.empty():
                    item = self._queue.get_nowait()
                    if item is None:
                        stopping = True
                        break
                    jobs.append(item)
                try:
                    outcomes = _run_jobs(writer, [fn for fn, _ in jobs])
                except BaseException:
                    _rollback(writer)
                    raise
                await self._on_commit_thread(_commit, writer)
            except Exception as exc:  # the transaction failed: nobody's write is durable
                if unavailable(exc) is not None:  # a known condition (disk full, locked): one line, no trace
                    log.error("write batch of %d refused, nothing of it stored: %s", len(jobs), exc)
                else:
                    log.exception("write batch of %d failed", len(jobs))
                for _, future in jobs:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.commits += 1
            self.writes += len(jobs)
            metrics.sqlite_commit(len(jobs), time.perf_counter() - started)
            for (_, future), (ok, value) in zip(jobs, outcomes, strict=True):
                if future.done():  # the caller went away (cancelled); its write still committed
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
