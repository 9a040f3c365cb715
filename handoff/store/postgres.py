"""The database on PostgreSQL: the same interface as `database.Database`, backed by psycopg 3 and its pool.

Why psycopg 3 and not asyncpg: a store function is a plain synchronous function of a connection, run on a
worker thread (`write(fn)`, `read(fn)`), so SQLite and PostgreSQL share every query. psycopg's synchronous
API and `psycopg_pool.ConnectionPool` fit that model as is; asyncpg is async-only, and would force every
store function (and every caller that composes them inside one transaction) to become a coroutine.

Writes: GROUP_COMMIT or PER_WRITE (see `bench/pg_write.py` and docs/scaling.md for the figures).
- GROUP_COMMIT keeps the SQLite design: one writer thread takes every waiting write, runs the batch in
  one transaction with a savepoint per job, commits once, then resumes the callers. Batches are capped at
  64 jobs: each job's savepoint is a subtransaction, and past 64 in one transaction PostgreSQL's snapshot
  of it overflows to disk (pg_subtrans lookups for every concurrent reader).
- PER_WRITE runs each write in its own transaction on a pooled connection, several at a time; PostgreSQL
  batches the concurrent commits' WAL flushes itself.
Either way a write returns only once its transaction is durable (`synchronous_commit` on) and a failing
write rolls back alone. Reads run on an autocommit pool (each statement sees what is committed, as the
SQLite reader does); reports read on their own small pool so they never queue inbox reads.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from enum import Enum
from functools import partial
from typing import Any, TypeVar, cast

import psycopg
from psycopg import pq
from psycopg_pool import ConnectionPool

from handoff.store.backend import redact
from handoff.store.pg_adapter import PgConnection, configure

T = TypeVar("T")
Job = Callable[[PgConnection], Any]
log = logging.getLogger("handoff.db")

MAX_BATCH = 64  # PGPROC_MAX_CACHED_SUBXIDS: more savepoints in one transaction overflow the subxid cache


class WriteMode(Enum):
    GROUP_COMMIT = "group"
    PER_WRITE = "per-write"


def run_batch(raw: psycopg.Connection[Any], batch: Sequence[Job]) -> list[tuple[bool, Any]]:
    """Runs on the writer thread: one transaction, a savepoint per job, one commit.

    The savepoint statements share a round trip with their neighbour (simple-query protocol, no
    parameters): per job that is one round trip on top of the job's own statements.
    """
    conn = PgConnection(raw)
    outcomes: list[tuple[bool, Any]] = []
    raw.execute("BEGIN; SAVEPOINT job")
    try:
        for position, job in enumerate(batch):
            if position:
                raw.execute("RELEASE SAVEPOINT job; SAVEPOINT job")
            try:
                outcomes.append((True, job(conn)))
            except Exception as exc:  # the job's caller gets it; the batch goes on
                raw.execute("ROLLBACK TO SAVEPOINT job")
                outcomes.append((False, exc))
        raw.execute("COMMIT")
    except BaseException:
        if raw.info.transaction_status != pq.TransactionStatus.IDLE:
            raw.execute("ROLLBACK")
        raise
    return outcomes


def run_alone(pool: ConnectionPool[Any], fn: Job) -> Any:
    """One write in one transaction on a pooled connection (PER_WRITE)."""
    with pool.connection() as raw, raw.transaction():
        return fn(PgConnection(raw))


def run_read(pool: ConnectionPool[Any], fn: Job) -> Any:
    with pool.connection() as raw:
        return fn(PgConnection(raw))


class PostgresDatabase:
    """Owns the connection pools and the writer for the app's lifetime."""

    def __init__(
        self,
        url: str,
        *,
        mode: WriteMode = WriteMode.GROUP_COMMIT,
        writers: int = 8,
        readers: int = 4,
        report_readers: int = 2,
    ) -> None:
        self.url = url
        self.mode = mode
        self._sizes = {"write": 1 if mode is WriteMode.GROUP_COMMIT else writers, "read": readers}
        self._sizes["report"] = report_readers
        self._pools: dict[str, ConnectionPool[Any]] = {}
        # A thread per pooled connection, so a job never waits for a connection once it has a thread.
        self._threads: dict[str, ThreadPoolExecutor] = {}
        # None is the stop sentinel: writes queued before it still commit.
        self._queue: asyncio.Queue[tuple[Job, asyncio.Future[Any]] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._open = False
        self.commits = 0
        self.writes = 0

    def __repr__(self) -> str:
        return f"PostgresDatabase({redact(self.url)!r}, mode={self.mode.value})"

    async def open(self) -> None:
        for name, size in self._sizes.items():
            pool: ConnectionPool[Any] = ConnectionPool(
                self.url,
                min_size=size,
                max_size=size,
                kwargs={"autocommit": True},
                configure=configure,
                name=f"handoff-{name}",
                open=False,
            )
            self._pools[name] = pool
            self._threads[name] = ThreadPoolExecutor(size, thread_name_prefix=f"pg-{name}")
            await asyncio.to_thread(pool.open, wait=True, timeout=30.0)
        if self.mode is WriteMode.GROUP_COMMIT:
            self._task = asyncio.create_task(self._write_loop(), name="pg-writer")
        self._open = True
        log.info("database open: %s", redact(self.url))

    async def close(self) -> None:
        self._open = False
        if self._task and not self._task.done():
            self._queue.put_nowait(None)
            await self._task
        for threads in self._threads.values():
            await asyncio.to_thread(threads.shutdown, wait=True)
        for pool in self._pools.values():
            await asyncio.to_thread(pool.close)
        self._pools.clear()
        self._threads.clear()

    async def _on(self, name: str, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads[name], fn)

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` in a transaction; returns once that transaction is durable. Store functions are
        annotated with `sqlite3.Connection`; they receive the `PgConnection` that mimics it."""
        if not self._open:
            raise RuntimeError("database is not open")
        # Run in the caller's context (request id for audit rows), though on a writer thread.
        context = contextvars.copy_context()
        job: Job = lambda conn: context.run(fn, cast(sqlite3.Connection, conn))  # noqa: E731
        if self.mode is WriteMode.PER_WRITE:
            result: T = await self._on("write", partial(run_alone, self._pools["write"], job))
            self.commits += 1
            self.writes += 1
            return result
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((job, future))
        return await future

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` on a reader connection (autocommit: each statement sees only committed data)."""
        if not self._open:
            raise RuntimeError("database is not open")
        result: T = await self._on("read", partial(run_read, self._pools["read"], cast(Job, fn)))
        return result

    async def read_report(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a heavy read-only `fn` (analytics, exports) on its own pool."""
        if not self._open:
            raise RuntimeError("database is not open")
        result: T = await self._on("report", partial(run_read, self._pools["report"], cast(Job, fn)))
        return result

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return await self.read(lambda c: c.execute(sql, params).fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        return await self.read(lambda c: c.execute(sql, params).fetchone())

    async def _write_loop(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                return
            # One more turn of the loop first, so writes already on their way join this batch.
            await asyncio.sleep(0)
            jobs = [first]
            while len(jobs) < MAX_BATCH and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stopping = True
                    break
                jobs.append(item)
            try:
                outcomes = await self._on("write", partial(self._batch, [fn for fn, _ in jobs]))
            except Exception as exc:  # the commit itself failed (or the connection broke): nothing is durable
                log.exception("write batch of %d failed", len(jobs))
                for _, future in jobs:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.commits += 1
            self.writes += len(jobs)
            for (_, future), (ok, value) in zip(jobs, outcomes, strict=True):
                if future.done():  # the caller went away (cancelled); its write still committed
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def _batch(self, jobs: list[Job]) -> list[tuple[bool, Any]]:
        # Taken from the pool per batch: a connection that broke is replaced, not reused.
        with self._pools["write"].connection() as raw:
            return run_batch(raw, jobs)
