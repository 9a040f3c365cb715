"""Write throughput on PostgreSQL: one transaction per write on pooled connections (what PostgresDatabase
does) against group commit (the SQLite design: one writer, a batch per transaction, a savepoint per write;
kept here, as `GroupCommitDatabase`, so the comparison can be rerun), for N concurrent writers.

    python bench/pg_write.py [--url postgresql://postgres@127.0.0.1:5432/postgres] [--writers 1,8,32,128]
                             [--seconds 5] [--repeat 3] [--pool 8] [--sqlite] [--latency-ms 0.5]

Each writer owns a conversation and stores visitor messages through the real `insert_message` (two
statements: the message and the conversation's counters), awaiting each write before the next, as a
request handler does. The figures are writes/s (each write durable when it returns), commits, and the
average batch. A scratch database `handoff_bench_<random>` is created on the server of `--url` and dropped
at the end; `--sqlite` adds the SQLite default (a temporary file) for reference. `--latency-ms` puts a
proxy (`delay_proxy.py`) in front of PostgreSQL that delays each direction by that much, as a database on
another host would; the round trip it gives is measured and printed.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from delay_proxy import DelayProxy  # noqa: E402  (beside this script)

from handoff.store import migrator  # noqa: E402
from handoff.store.conversations import insert_message, open_conversation, upsert_contact  # noqa: E402
from handoff.store.database import Database, now_iso  # noqa: E402
from handoff.store.pg_adapter import PgConnection  # noqa: E402
from handoff.store.postgres import PostgresDatabase  # noqa: E402

MAX_BATCH = 64  # PGPROC_MAX_CACHED_SUBXIDS: more savepoints in one transaction overflow the subxid cache


def run_batch(raw: psycopg.Connection[Any], batch: list[Any]) -> list[tuple[bool, Any]]:
    """One transaction, a savepoint per job (sharing a round trip with its neighbour), one commit."""
    conn = PgConnection(raw)
    outcomes: list[tuple[bool, Any]] = []
    raw.execute("BEGIN; SAVEPOINT job")
    try:
        for position, job in enumerate(batch):
            if position:
                raw.execute("RELEASE SAVEPOINT job; SAVEPOINT job")
            try:
                outcomes.append((True, job(conn)))
            except Exception as exc:
                raw.execute("ROLLBACK TO SAVEPOINT job")
                outcomes.append((False, exc))
        raw.execute("COMMIT")
    except BaseException:
        raw.execute("ROLLBACK")
        raise
    return outcomes


class GroupCommitDatabase(PostgresDatabase):
    """PostgresDatabase with the SQLite write path: one writer connection, batches of waiting writes."""

    def __init__(self, url: str) -> None:
        super().__init__(url, writers=1)
        self._queue: asyncio.Queue[tuple[Any, asyncio.Future[Any]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        await super().open()
        self._task = asyncio.create_task(self._write_loop())

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
        await super().close()

    async def write(self, fn: Any) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((fn, future))
        return await future

    async def _write_loop(self) -> None:
        while True:
            jobs = [await self._queue.get()]
            await asyncio.sleep(0)  # writes already on their way join this batch
            while len(jobs) < MAX_BATCH and not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            outcomes = await self._on("write", _in_pool, [fn for fn, _ in jobs])
            self.commits += 1
            self.writes += len(jobs)
            for (_, future), (ok, value) in zip(jobs, outcomes, strict=True):
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)


def _in_pool(pool: Any, jobs: list[Any]) -> list[tuple[bool, Any]]:
    with pool.connection() as raw:
        return run_batch(raw, jobs)


def with_database(url: str, name: str, port: int = 0) -> str:
    parts = urlsplit(url)._replace(path=f"/{name}")
    if port:  # through the delaying proxy
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.port or 5432}", "") + f":{port}")
    return parts.geturl()


def round_trip_ms(url: str) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        times = []
        for _ in range(50):
            started = time.perf_counter()
            conn.execute("SELECT 1")
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def seed(db: Any, count: int) -> list[Any]:
    """A tenant and `count` open conversations, one per writer."""

    def write(conn: sqlite3.Connection) -> list[Any]:
        tenant = conn.execute(
            "INSERT INTO tenants (name, widget_key, created_at) VALUES (?, ?, ?) RETURNING id",
            ("bench", secrets.token_hex(8), now_iso()),
        ).fetchone()[0]
        rows = []
        for i in range(count):
            contact = upsert_contact(conn, tenant, "webchat", f"visitor-{secrets.token_hex(4)}-{i}")
            rows.append(open_conversation(conn, contact))
        return rows

    return list(await db.write(write))


async def measure(db: Any, writers: int, seconds: float) -> tuple[float, int, int]:
    conversations = await seed(db, writers)
    commits0, writes0 = db.commits, db.writes
    stop = time.perf_counter() + seconds

    async def writer(conversation: Any) -> int:
        done = 0
        while time.perf_counter() < stop:
            stored = await db.write(lambda conn, c=conversation: insert_message(conn, c, "visitor", "hello there"))
            conversation = stored.conversation
            done += 1
        return done

    started = time.perf_counter()
    total = sum(await asyncio.gather(*(writer(c) for c in conversations)))
    elapsed = time.perf_counter() - started
    return total / elapsed, db.commits - commits0, db.writes - writes0


async def run(args: argparse.Namespace) -> None:
    levels = [int(n) for n in args.writers.split(",")]
    name = f"handoff_bench_{secrets.token_hex(4)}"
    with psycopg.connect(args.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    proxy = None
    if args.latency_ms:
        parts = urlsplit(args.url)
        proxy = DelayProxy(parts.hostname or "127.0.0.1", parts.port or 5432, args.latency_ms).start()
    url = with_database(args.url, name, proxy.port if proxy else 0)
    try:
        migrator.migrate(url)
        print(f"round trip to PostgreSQL (SELECT 1): {round_trip_ms(url):.2f} ms")
        targets: list[tuple[str, Any]] = [
            ("pg per-write", lambda: PostgresDatabase(url, writers=args.pool)),
            ("pg group", lambda: GroupCommitDatabase(url)),
        ]
        if args.sqlite:
            path = str(Path(tempfile.mkdtemp()) / "bench.sqlite")
            migrator.migrate(path)
            targets.append(("sqlite group", lambda: Database(path)))
        print(f"{'target':14} {'writers':>8} {'writes/s (median)':>18} {'min..max':>13} {'per commit':>11}")
        for writers in levels:
            # Interleaved repeats: a machine shared with other work drifts, and each target sees the same drift.
            runs: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in targets}
            for _ in range(args.repeat):
                for label, make in targets:
                    db = make()
                    await db.open()
                    try:
                        rate, commits, writes = await measure(db, writers, args.seconds)
                    finally:
                        await db.close()
                    runs[label].append((rate, writes / commits if commits else 0.0))
            for label, results in runs.items():
                rates = sorted(rate for rate, _ in results)
                per = statistics.median(p for _, p in results)
                spread = f"{rates[0]:.0f}..{rates[-1]:.0f}"
                print(f"{label:14} {writers:8d} {statistics.median(rates):18.0f} {spread:>13} {per:11.1f}", flush=True)
    finally:
        if proxy:
            proxy.stop()
        with psycopg.connect(args.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--writers", default="1,8,32,128")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per target and level (median reported)")
    parser.add_argument("--pool", type=int, default=8, help="connections (and threads) for per-write")
    parser.add_argument("--sqlite", action="store_true", help="also measure the SQLite default")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay each direction by this much")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
