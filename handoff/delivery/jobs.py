"""Durable background jobs: email, outgoing webhooks, push, media fetches: anything that must happen after a
change commits, off the request path, and survive a restart.

A feature queues a job inside the write that causes it (`handoff.store.jobs.enqueue`), calls `ctx.wake_jobs()`
after the write, and registers a handler for its kind at import time (`register("email", send_email)`). The
handler returns to finish the job, raises `Retry` for a transient failure (tried again with backoff: the
first retry within 10 s, doubling, at most an hour apart, until the job's give-up time) or `Fail` to stop for
good; any other exception counts as a retry and is logged. Jobs of one `order_key` run one after another.

Like the outbox, several processes may run this on one PostgreSQL database: an attempt leases its job, and
only the attempt holding the lease records the outcome (docs/scaling.md, "Background work exactly once").
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from handoff import metrics
from handoff.context import AppContext
from handoff.errors import Unavailable
from handoff.store import jobs as store
from handoff.store.database import iso, now_iso, parse_iso
from handoff.store.jobs import Job

__all__ = ["Fail", "Job", "JobHandler", "JobQueue", "Retry", "backoff", "handled_kinds", "register"]

log = logging.getLogger("handoff.jobs")

JobHandler = Callable[[AppContext, Job], Awaitable[None]]

FIRST_RETRY_SECONDS = 5.0  # jittered down to half: the first retry comes within 10 s of the failure
MAX_RETRY_SECONDS = 3600.0
IDLE_POLL_SECONDS = 30.0
SHUTDOWN_GRACE_SECONDS = 5.0
REFUSED_PAUSE_SECONDS = 1.0
ATTEMPT_SHARE_OF_LEASE = 0.8  # an attempt is cut off before its lease ends, so nobody takes the job over mid-run
KEEP_FINISHED = timedelta(days=7)
SWEEP_EVERY = timedelta(hours=1)

_HANDLERS: dict[str, JobHandler] = {}


class Retry(Exception):
    """A transient failure: try the job again later (not sooner than `after` seconds, when given)."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after


class Fail(Exception):
    """A permanent failure: the job is dead, with `reason` kept as its last error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def register(kind: str, handler: JobHandler) -> None:
    """Make `handler` run the jobs of `kind` (at import time of the feature's module)."""
    _HANDLERS[kind] = handler
    for outcome in ("sent", "retry", "failed"):
        metrics.QUEUE_ATTEMPTS.labels(kind, outcome)  # present at 0, so rate() sees the first one


def handled_kinds() -> list[str]:
    return sorted(_HANDLERS)


def backoff(attempts: int, after: float | None = None) -> float:
    """Seconds before the next try after `attempts` failed ones: doubling from FIRST_RETRY_SECONDS, capped at an
    hour, half of it jittered so a burst of failures does not retry in lockstep; never sooner than `after`."""
    ceiling = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1))
    delay = random.uniform(ceiling / 2, ceiling)
    if after is not None:
        delay = max(delay, min(after, MAX_RETRY_SECONDS))
    return delay


class JobQueue:
    """Runs due jobs, at most `concurrency` at a time, each under a lease of OUTBOX_LEASE_SECONDS."""

    concurrency = 16

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.lease = timedelta(seconds=ctx.settings.outbox_lease_seconds)
        self.attempt_timeout = ctx.settings.outbox_lease_seconds * ATTEMPT_SHARE_OF_LEASE
        # Nothing wakes this process when another one's lease runs out or another one queued a job: polling
        # at least twice a lease takes a job over within 1.5 leases.
        self.idle_poll = min(IDLE_POLL_SECONDS, ctx.settings.outbox_lease_seconds / 2)
        self._wake = asyncio.Event()
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._held: dict[int, int] = {}  # job id -> the attempt number this process holds it with
        self._task: asyncio.Task[None] | None = None
        self._swept_at = datetime.min.replace(tzinfo=UTC)

    async def start(self) -> None:
        if not self.ctx.settings.database_url:
            # SQLite: this process owns the file, so running jobs in it were cut off by its last stop.
            released = await self.ctx.db.write(lambda conn: store.release_leases(conn, now_iso()))
            if released:
                log.info("jobs: %d job(s) cut off by the last stop are due again", released)
        self._task = asyncio.create_task(self._run(), name="jobs")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        pending = list(self._inflight.values())
        if pending:
            _, late = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_SECONDS)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        held = dict(self._held)
        if held:  # due again at once (on another process, or at the next start) rather than at the lease's end
            now = now_iso()
            with contextlib.suppress(Exception):
                await self.ctx.db.write(lambda conn: [store.release(conn, jid, n, now) for jid, n in held.items()])

    def wake(self) -> None:
        """A job was queued or finished: look for due jobs now rather than at the next timeout."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._sweep()
                wait = await self._dispatch()
            except Exception:
                log.exception("jobs: poll failed; retrying")
                wait = 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _sweep(self) -> None:
        """Now and then, forget jobs finished a week ago (features keep their own logs of what matters)."""
        now = datetime.now(UTC)
        if now - self._swept_at < SWEEP_EVERY:
            return
        self._swept_at = now
        await self.ctx.db.write(lambda conn: store.forget_finished_before(conn, iso(now - KEEP_FINISHED)))

    async def _dispatch(self) -> float:
        heads = await self.ctx.db.read(store.due_heads)
        now = datetime.now(UTC)
        wait = self.idle_poll
        for row in heads:
            if row["id"] in self._inflight:
                continue
            due_in = (parse_iso(row["next_attempt_at"]) - now).total_seconds()
            if due_in > 0:
                wait = min(wait, due_in)
                break  # ordered by due time: the rest are later still
            if len(self._inflight) >= self.concurrency:
                break  # a finishing attempt wakes us
            task = asyncio.create_task(self._attempt(row["id"]), name=f"job-{row['id']}")
            self._inflight[row["id"]] = task
            task.add_done_callback(functools.partial(self._done, row["id"]))
        return max(0.005, wait)

    def _done(self, job_id: int, task: asyncio.Task[None]) -> None:
        self._inflight.pop(job_id, None)
        self.wake()

    async def _attempt(self, job_id: int) -> None:
        job: Job | None = None
        try:
            now = datetime.now(UTC)
            job = await self.ctx.db.write(lambda c: store.claim(c, job_id, iso(now), iso(now + self.lease)))
            if job is None:
                return
            self._held[job_id] = job.attempts
            outcome = await self._run_handler(job)
            claimed = job
            await self.ctx.db.write(lambda c: self._record(c, claimed, *outcome))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database refused the outcome: the lease brings the job back later
            level = logging.WARNING if isinstance(exc, Unavailable) else logging.ERROR
            log.log(level, "job %d: could not record the attempt's outcome (%s)", job_id, exc.__class__.__name__)
            await asyncio.sleep(REFUSED_PAUSE_SECONDS)
        finally:
            self._held.pop(job_id, None)

    async def _run_handler(self, job: Job) -> tuple[str, str | None, float | None]:
        """("done" | "retry" | "dead", error, retry after): the handler's outcome, never an exception."""
        handler = _HANDLERS.get(job.kind)
        if handler is None:
            return "dead", f"no handler for jobs of kind {job.kind!r}", None
        try:
            async with asyncio.timeout(self.attempt_timeout):
                await handler(self.ctx, job)
        except Retry as retry:
            return "retry", retry.reason, retry.after
        except Fail as fail:
            return "dead", fail.reason, None
        except TimeoutError:
            return "retry", "timed out", None
        except Exception as exc:  # a bug or an unexpected answer: retried like a transient error, and logged
            log.exception("job %d (%s): handler raised", job.id, job.kind)
            return "retry", f"unexpected error ({exc.__class__.__name__})", None
        return "done", None, None

    def _record(self, conn: sqlite3.Connection, job: Job, outcome: str, error: str | None, after: float | None) -> None:
        now = datetime.now(UTC)
        recorded: bool
        if outcome == "retry":
            later = now + timedelta(seconds=backoff(job.attempts, after))
            if later >= parse_iso(job.give_up_at):
                outcome, error = "dead", f"{error} (gave up after {job.attempts} attempts)"
            else:
                recorded = store.schedule_retry(conn, job.id, job.attempts, iso(later), error or "")
                self._log_outcome(job, "retry", error, recorded)
                return
        if outcome == "done":
            recorded = store.mark_done(conn, job.id, job.attempts, iso(now))
        else:
            recorded = store.mark_dead(conn, job.id, job.attempts, error or "", iso(now))
        self._log_outcome(job, outcome, error, recorded)

    def _log_outcome(self, job: Job, outcome: str, error: str | None, recorded: bool) -> None:
        if not recorded:
            log.warning(
                "job %d (%s): attempt %d outlived its lease and another attempt took the job over; its outcome"
                " (%s) is not recorded",
                job.id,
                job.kind,
                job.attempts,
                outcome,
            )
            return
        metrics.QUEUE_ATTEMPTS.labels(job.kind, {"done": "sent", "retry": "retry", "dead": "failed"}[outcome]).inc()
        if outcome == "retry":
            log.warning("job %d (%s): attempt %d failed (%s); retrying", job.id, job.kind, job.attempts, error)
        elif outcome == "dead":
            log.warning("job %d (%s): gave up: %s", job.id, job.kind, error)
