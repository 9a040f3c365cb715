"""The database on PostgreSQL: the same interface as `database.Database`, backed by psycopg 3 and its pool.

Why psycopg 3 and not asyncpg: a store function is a plain synchronous function of a connection, run on a
worker thread (`write(fn)`, `read(fn)`), so SQLite and PostgreSQL share every query. psycopg's synchronous
API and `psycopg_pool.ConnectionPool` fit that model as is; asyncpg is async-only, and would force every
store function (and every caller that composes them inside one transaction) to become a coroutine.

Writes: one transaction per write, on a pool of connections, several at a time; PostgreSQL batches the WAL
flushes of concurrent commits itself. The SQLite design (one writer thread taking every waiting write,
one transaction with a savepoint per write, one commit) was measured against it with `bench/pg_write.py`
(figures in docs/scaling.md): level on loopback, where both are CPU-bound, but 4x slower from 8 writers up
once the database is a 0.8 ms round trip away, because a single writer pays every statement's round trip
in series. Besides, each savepoint is a subtransaction (past 64 in one transaction PostgreSQL's snapshots
overflow to pg_subtrans), and several processes on one database write concurrently anyway, so serialising
one process buys no safety.
A write returns only once its transaction is durable (`synchronous_commit` on) and a failing write rolls
back alone. Reads run on an autocommit pool (each statement sees what is committed, as the SQLite reader
does); reports read on their own small pool so they never queue inbox reads.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar, cast

import psycopg
from psycopg import errors, pq
from psycopg_pool import ConnectionPool

from handoff import metrics
from handoff.errors import Unavailable
from handoff.store.backend import redact
from handoff.store.pg_adapter import PgConnection, PgIntegrityError, configure

T = TypeVar("T")
Job = Callable[[PgConnection], Any]
log = logging.getLogger("handoff.db")


class AbortedWrite(RuntimeError):
    """A write caught a database error and carried on: PostgreSQL had already aborted its transaction."""


# Conflicts with a concurrent transaction (another process's, on the same rows) after which the whole
# transaction has rolled back and running the job again from the start can succeed.
CONFLICTS = (errors.DeadlockDetected, errors.SerializationFailure, errors.UniqueViolation)


def conflict(exc: BaseException) -> str:
    """The name of the conflict `exc` reports (the adapter raises a unique violation as `PgIntegrityError`
    with psycopg's error as its cause), or "" for any other error."""
    cause = exc.__cause__ if isinstance(exc, PgIntegrityError) else exc
    return type(cause).__name__ if isinstance(cause, CONFLICTS) else ""


# A conflicting write runs again at most this many times. Once is not always enough: when PostgreSQL breaks a
# deadlock, the rerun can take the first lock again before the surviving transaction does and deadlock anew
# (seen under load). A short random pause before each rerun lets the survivor finish first.
CONFLICT_RETRIES = 3
RETRY_PAUSE_SECONDS = (0.005, 0.025)


def run_write(pool: ConnectionPool[Any], fn: Job, retry: bool = False) -> Any:
    """One write in one transaction on a pooled connection: committed when this returns. With `retry`, a
    write that conflicted with a concurrent one (deadlock, serialization failure, unique violation) runs
    again in a new transaction, up to CONFLICT_RETRIES times: the job reads first, so a rerun finds what the
    other wrote."""
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            return _write_once(pool, fn)
        except Exception as exc:
            name = conflict(exc) if retry and attempt < CONFLICT_RETRIES else ""
            if not name:
                raise
            log.info("write runs again after a conflict with a concurrent transaction (%s)", name)
            time.sleep(random.uniform(*RETRY_PAUSE_SECONDS) * (attempt + 1))  # on a pool thread, not the loop
    raise AssertionError("unreachable: the last attempt returns or raises")


def _write_once(pool: ConnectionPool[Any], fn: Job) -> Any:
    with pool.connection() as raw, raw.transaction():
        result = fn(PgConnection(raw))
        # Unlike SQLite, a failed statement aborts the whole transaction, and COMMIT then quietly rolls
        # back: say so rather than report a write that did not happen.
        if raw.info.transaction_status == pq.TransactionStatus.INERROR:
            raise AbortedWrite("a statement of this write failed and was caught; nothing was committed")
        return result


def run_read(pool: ConnectionPool[Any], fn: Job) -> Any:
    with pool.connection() as raw:
        return fn(PgConnection(raw))


class PostgresDatabase:
    """Owns the connection pools for the app's lifetime: writes, reads, and reports."""

    def __init__(
        self, url: str, *, writers: int = 8, readers: int = 4, report_readers: int = 2, open_timeout: float = 30.0
    ) -> None:
        self.url = url
        self.open_timeout = open_timeout  # seconds `open` waits for each pool's connections
        self._sizes = {"write": writers, "read": readers, "report": report_readers}
        self._pools: dict[str, ConnectionPool[Any]] = {}
        # A thread per pooled connection, so a job never waits for a connection once it has a thread.
        self._threads: dict[str, ThreadPoolExecutor] = {}
        self.commits = 0
        self.writes = 0

    def __repr__(self) -> str:
        return f"PostgresDatabase({redact(self.url)!r})"

    async def open(self) -> None:
        for name, size in self._sizes.items():
            pool: ConnectionPool[Any] = ConnectionPool(
                self.url,
                # One connection at once (it proves the server answers); the rest as load asks for them, so an
                # idle process holds 3 of PostgreSQL's max_connections rather than every pool's full size.
                min_size=1,
                max_size=size,
                kwargs={"autocommit": True},
                configure=configure,
                name=f"handoff-{name}",
                open=False,
            )
            self._pools[name] = pool
            self._threads[name] = ThreadPoolExecutor(size, thread_name_prefix=f"pg-{name}")
            try:
                await asyncio.to_thread(pool.open, wait=True, timeout=self.open_timeout)
            except BaseException:  # unreachable or refused: leave no pool retrying in the background
                await self.close()
                raise
        log.info("database open: %s", redact(self.url))

    async def close(self) -> None:
        """Writes already started still commit; then every connection closes."""
        threads, pools = list(self._threads.values()), list(self._pools.values())
        self._threads, self._pools = {}, {}
        for executor in threads:
            await asyncio.to_thread(executor.shutdown, wait=True)
        for pool in pools:
            await asyncio.to_thread(pool.close)

    async def _on(self, name: str, job: Callable[[ConnectionPool[Any], Job], Any], fn: Job) -> Any:
        if name not in self._threads:
            raise RuntimeError("database is not open")
        # Run in the caller's context (request id for audit rows), though on a pool thread.
        call = partial(contextvars.copy_context().run, job, self._pools[name], fn)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads[name], call)
        except psycopg.OperationalError as exc:  # server gone or restarting, disk full, no connection in time
            first_line = (str(exc).strip().splitlines() or [""])[0]
            log.warning("database %s refused (%s): %s", name, type(exc).__name__, first_line)
            # The detail stays generic: the server's message may name hosts and users. It does not promise that
            # nothing was stored: a connection lost during COMMIT leaves that unknown (a resend is deduplicated).
            raise Unavailable("the database is unavailable now; try again shortly") from exc

    async def write(self, fn: Callable[[sqlite3.Connection], T], *, retry: bool = False) -> T:
        """Run `fn` in a transaction of its own; returns once that transaction is durable.

        Store functions are annotated with `sqlite3.Connection`; here they get the `PgConnection` that
        speaks the same way. A caller cancelled meanwhile does not undo the write: it still commits.
        `retry=True` is for jobs that do nothing but database work and look before they insert (a second run
        after a rollback is then safe, and finds the concurrent transaction's row): see `run_write`."""
        started = time.perf_counter()
        result: T = await self._on("write", partial(run_write, retry=retry), cast(Job, fn))
        metrics.postgres_write(time.perf_counter() - started)
        self.commits += 1
        self.writes += 1
        return result

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` on a reader connection (autocommit: each statement sees only committed data)."""
        result: T = await self._on("read", run_read, cast(Job, fn))
        return result

    async def read_report(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a heavy read-only `fn` (analytics, exports) on its own pool."""
        result: T = await self._on("report", run_read, cast(Job, fn))
        return result

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return await self.read(lambda c: c.execute(sql, params).fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        return await self.read(lambda c: c.execute(sql, params).fetchone())
