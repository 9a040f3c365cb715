"""The job queue on a real SQLite file, running as the app runs it: handlers finish, retry with backoff, fail for
good, run in order per key, give up at their deadline, and pick up after a stop cut them off."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handoff.context import AppContext
from handoff.delivery.jobs import Fail, Job, JobQueue, Retry, backoff, register
from handoff.store import jobs as store
from handoff.store.database import iso, now_iso, parse_iso
from tests.unit.helpers import add_tenant, app_context, run

Calls = list[tuple[str, int]]  # (label from the payload, attempt number), in the order handlers ran


def kind_for(handler: Callable[[AppContext, Job], Awaitable[None]]) -> str:
    """Register `handler` under a kind of this test's own (the registry is process-wide)."""
    kind = f"test-{uuid.uuid4().hex[:8]}"
    register(kind, handler)
    return kind


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.01)


async def job_row(ctx: AppContext, job_id: int) -> sqlite3.Row:
    row = await ctx.db.read(lambda c: c.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())
    assert row is not None
    return row


async def make_due(ctx: AppContext, queue: JobQueue, job_id: int) -> None:
    """Move a scheduled retry to now instead of waiting its backoff out."""
    await ctx.db.write(lambda c: c.execute("UPDATE jobs SET next_attempt_at = ? WHERE id = ?", (now_iso(), job_id)))
    queue.wake()


def enqueue(ctx: AppContext, tenant_id: int, kind: str, label: str, **options: Any) -> Awaitable[int]:
    return ctx.db.write(lambda c: store.enqueue(c, tenant_id, kind, {"label": label}, **options))


def test_a_job_runs_once_and_a_transient_failure_is_retried_within_ten_seconds(db_path: str) -> None:
    calls: Calls = []

    async def flaky(ctx: AppContext, job: Job) -> None:
        calls.append((job.payload["label"], job.attempts))
        if job.attempts == 1:
            raise Retry("SMTP 421 try later")

    async def scenario() -> None:
        async with app_context(db_path) as ctx:
            kind = kind_for(flaky)
            tenant_id = await ctx.db.write(add_tenant)
            queue = JobQueue(ctx)
            await queue.start()
            try:
                job_id = await enqueue(ctx, tenant_id, kind, "a")
                queue.wake()
                failed_at = datetime.now(UTC)
                await until(lambda: _status_is(ctx, job_id, "queued", attempts=1))
                row = await job_row(ctx, job_id)
                assert row["last_error"] == "SMTP 421 try later"
                assert parse_iso(row["next_attempt_at"]) <= failed_at + timedelta(seconds=10)
                await make_due(ctx, queue, job_id)
                await until(lambda: _status_is(ctx, job_id, "done"))
            finally:
                await queue.stop()
            assert calls == [("a", 1), ("a", 2)]
            done = await job_row(ctx, job_id)
            assert done["last_error"] is None and done["finished_at"] and done["leased_until"] is None

    run(scenario())


async def _status_is(ctx: AppContext, job_id: int, status: str, attempts: int | None = None) -> bool:
    row = await job_row(ctx, job_id)
    return bool(row["status"] == status and (attempts is None or row["attempts"] == attempts))


def test_fail_unknown_kinds_and_the_deadline_make_a_job_dead(db_path: str) -> None:
    async def refuses(ctx: AppContext, job: Job) -> None:
        raise Fail("550 no such mailbox")

    async def keeps_failing(ctx: AppContext, job: Job) -> None:
        raise ConnectionError("receiver down")

    async def scenario() -> None:
        async with app_context(db_path) as ctx:
            tenant_id = await ctx.db.write(add_tenant)
            queue = JobQueue(ctx)
            await queue.start()
            try:
                failed = await enqueue(ctx, tenant_id, kind_for(refuses), "f")
                unknown = await enqueue(ctx, tenant_id, "no-such-kind", "u")
                # Due to give up within a second: its first retry would come after that.
                late = await enqueue(ctx, tenant_id, kind_for(keeps_failing), "l", give_up_after_seconds=1)
                queue.wake()
                for job_id in (failed, unknown, late):
                    await until(lambda job_id=job_id: _status_is(ctx, job_id, "dead"))
            finally:
                await queue.stop()
            assert (await job_row(ctx, failed))["last_error"] == "550 no such mailbox"
            assert (await job_row(ctx, failed))["attempts"] == 1
            assert "no handler" in (await job_row(ctx, unknown))["last_error"]
            assert (await job_row(ctx, late))["last_error"] == (
                "unexpected error (ConnectionError) (gave up after 1 attempts)"
            )

    run(scenario())


def test_jobs_of_one_key_run_in_order_even_while_the_first_is_retried(db_path: str) -> None:
    calls: Calls = []

    async def ordered(ctx: AppContext, job: Job) -> None:
        calls.append((job.payload["label"], job.attempts))
        if job.payload["label"] == "first" and job.attempts == 1:
            raise Retry("receiver down")

    async def scenario() -> None:
        async with app_context(db_path) as ctx:
            kind = kind_for(ordered)
            tenant_id = await ctx.db.write(add_tenant)
            queue = JobQueue(ctx)
            await queue.start()
            try:
                first = await enqueue(ctx, tenant_id, kind, "first", order_key="conversation:1")
                second = await enqueue(ctx, tenant_id, kind, "second", order_key="conversation:1")
                queue.wake()
                await until(lambda: _status_is(ctx, first, "queued", attempts=1))
                # A job of no key queued after the retry was recorded: when it has run, the dispatcher has passed
                # over `second` at least once, and must not have started it behind its key's head.
                marker = await enqueue(ctx, tenant_id, kind, "marker")
                queue.wake()
                await until(lambda: _status_is(ctx, marker, "done"))
                assert (await job_row(ctx, second))["attempts"] == 0
                await make_due(ctx, queue, first)
                await until(lambda: _status_is(ctx, second, "done"))
            finally:
                await queue.stop()
            assert calls == [("first", 1), ("marker", 1), ("first", 2), ("second", 1)]

    run(scenario())


def test_a_job_cut_off_by_a_stop_runs_again_at_the_next_start(db_path: str) -> None:
    calls: Calls = []

    async def records(ctx: AppContext, job: Job) -> None:
        calls.append((job.payload["label"], job.attempts))

    async def scenario() -> None:
        async with app_context(db_path) as ctx:
            kind = kind_for(records)
            tenant_id = await ctx.db.write(add_tenant)
            job_id = await enqueue(ctx, tenant_id, kind, "cut")
            # As a killed process leaves it: claimed, leased for a minute, no outcome.
            lease = iso(datetime.now(UTC) + timedelta(minutes=1))
            assert await ctx.db.write(lambda c: store.claim(c, job_id, now_iso(), lease)) is not None
            queue = JobQueue(ctx)
            await queue.start()
            try:
                await until(lambda: _status_is(ctx, job_id, "done"))
            finally:
                await queue.stop()
            assert calls == [("cut", 2)]  # the cut-off attempt counted

    run(scenario())


def test_finished_jobs_a_week_old_are_forgotten_in_short_writes(db_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """At start (and hourly) the queue forgets jobs that finished over a week ago, SWEEP_BATCH per write so a
    long backlog never holds the writer (on SQLite, the event loop) in one long statement; recent or unfinished
    jobs stay."""
    swept: list[int] = []
    forget = store.forget_finished_before

    def counting(conn: sqlite3.Connection, cutoff: str, limit: int = 1000) -> int:
        swept.append(forget(conn, cutoff, limit))
        return swept[-1]

    monkeypatch.setattr(store, "forget_finished_before", counting)
    old, recent = iso(datetime.now(UTC) - timedelta(days=8)), now_iso()
    later = iso(datetime.now(UTC) + timedelta(hours=1))  # the unfinished one is not due during the test

    def seed(conn: sqlite3.Connection, tenant_id: int) -> None:
        rows = [("done", old)] * 2300 + [("dead", old)] * 200 + [("done", recent)] * 2 + [("queued", None)]
        conn.executemany(
            "INSERT INTO jobs (tenant_id, kind, payload, status, next_attempt_at, give_up_at, created_at, finished_at)"
            " VALUES (?, 'test-unregistered', '{}', ?, ?, ?, ?, ?)",
            [(tenant_id, status, later, later, old, finished) for status, finished in rows],
        )

    async def scenario() -> list[tuple[str, int]]:
        async with app_context(db_path) as ctx:
            tenant_id = await ctx.db.write(add_tenant)
            await ctx.db.write(lambda c: seed(c, tenant_id))
            queue = JobQueue(ctx)
            await queue.start()
            try:
                # On what is committed: `swept` moves inside each write, before its COMMIT is durable.
                await until(lambda: remaining(ctx, 3))
            finally:
                await queue.stop()
            rows = await ctx.db.read(
                lambda c: c.execute("SELECT status, count(*) FROM jobs GROUP BY status ORDER BY status").fetchall()
            )
            return [(row[0], row[1]) for row in rows]

    left = dict(run(scenario()))
    assert swept[:3] == [1000, 1000, 500]
    assert left == {"done": 2, "queued": 1}  # the two that finished recently, and the unfinished one


async def remaining(ctx: AppContext, count: int) -> bool:
    return bool(await ctx.db.read(lambda c: c.execute("SELECT count(*) FROM jobs").fetchone()[0] == count))


@pytest.mark.parametrize("attempts,ceiling", [(1, 5.0), (2, 10.0), (5, 80.0), (20, 3600.0)])
def test_backoff_doubles_from_five_seconds_to_an_hour_with_jitter(attempts: int, ceiling: float) -> None:
    delays = [backoff(attempts) for _ in range(200)]
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(set(delays)) > 1
    assert backoff(1, after=120) == 120 and backoff(1, after=10**9) == 3600
