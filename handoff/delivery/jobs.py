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
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from handoff import metrics
from handoff.context import AppContext
from handoff.delivery.dispatcher import LeasedDispatcher
from handoff.errors import Unavailable
from handoff.store import jobs as store
from handoff.store.database import iso, parse_iso
from handoff.store.jobs import Job

__all__ = ["Fail", "Job", "JobHandler", "JobQueue", "Retry", "backoff", "handled_kinds", "register"]

log = logging.getLogger("handoff.jobs")

JobHandler = Callable[[AppContext, Job], Awaitable[None]]

FIRST_RETRY_SECONDS = 5.0  # jittered down to half: the first retry comes within 10 s of the failure
MAX_RETRY_SECONDS = 3600.0
REFUSED_PAUSE_SECONDS = 1.0
ATTEMPT_SHARE_OF_LEASE = 0.8  # an attempt is cut off before its lease ends, so nobody takes the job over mid-run
KEEP_FINISHED = timedelta(days=7)
SWEEP_EVERY = timedelta(hours=1)
SWEEP_BATCH = 1000  # finished jobs forgotten per write

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


class JobQueue(LeasedDispatcher):
    """Runs due jobs, at most `concurrency` at a time, each under a lease of OUTBOX_LEASE_SECONDS."""

    name = "jobs"
    concurrency = 16

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.attempt_timeout = ctx.settings.outbox_lease_seconds * ATTEMPT_SHARE_OF_LEASE
        self._swept_at = datetime.min.replace(tzinfo=UTC)

    def due_heads(self, conn: sqlite3.Connection) -> list[sqlite3.Row]:
        return store.due_heads(conn)

    def release_leases(self, conn: sqlite3.Connection, now: str) -> int:
        return store.release_leases(conn, now)

    def give_back(self, conn: sqlite3.Connection, held: dict[int, int], now: str) -> None:
        for job_id, attempts in held.items():
            store.release(conn, job_id, attempts, now)

    async def before_dispatch(self) -> None:
        await self._sweep()

    async def _sweep(self) -> None:
        """Now and then, forget jobs finished a week ago (features keep their own logs of what matters)."""
        now = datetime.now(UTC)
        if now - self._swept_at < SWEEP_EVERY:
            return
        self._swept_at = now
        cutoff = iso(now - KEEP_FINISHED)
        while (
            await self.ctx.db.write(lambda conn: store.forget_finished_before(conn, cutoff, SWEEP_BATCH)) == SWEEP_BATCH
        ):
            pass  # another batch: other writes (and the loop) go between them

    async def attempt(self, job_id: int) -> None:
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
