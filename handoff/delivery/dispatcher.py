"""What the outbox and the job queue share: a loop that starts an attempt for every due row (at most
`concurrency` at once), sleeps until the next one is due or something wakes it, and on a clean stop lets
attempts on the wire finish, then gives back the rows it still holds. Each queue says how its rows are read,
attempted, released at start and given back (docs/scaling.md, "Background work exactly once")."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
from datetime import UTC, datetime, timedelta

from handoff.context import AppContext
from handoff.store.database import now_iso, parse_iso

log = logging.getLogger("handoff.dispatch")

IDLE_POLL_SECONDS = 30.0
SHUTDOWN_GRACE_SECONDS = 5.0


class LeasedDispatcher:
    """A background service over a table of leased rows (see the module docstring)."""

    name = "dispatcher"
    concurrency = 8

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.lease = timedelta(seconds=ctx.settings.outbox_lease_seconds)  # OUTBOX_LEASE_SECONDS, for every queue
        # Nothing wakes this process when another one's lease runs out (it was killed mid-attempt) or another
        # one queued a row it did not get to: polling at least twice a lease takes over within 1.5 leases.
        self.idle_poll = min(IDLE_POLL_SECONDS, ctx.settings.outbox_lease_seconds / 2)
        self._wake = asyncio.Event()
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._held: dict[int, int] = {}  # row id -> the attempt number this process holds it with
        self._task: asyncio.Task[None] | None = None

    # ---- what each queue says ----------------------------------------------------------------------------

    def due_heads(self, conn: sqlite3.Connection) -> list[sqlite3.Row]:
        """(id, next_attempt_at) of the rows that may be attempted, soonest due first."""
        raise NotImplementedError

    async def attempt(self, row_id: int) -> None:
        """Claim the row (recording the attempt number in `self._held` while it runs) and attempt it."""
        raise NotImplementedError

    def release_leases(self, conn: sqlite3.Connection, now: str) -> int:
        """Make every leased row due at `now` (SQLite, at start); how many were."""
        raise NotImplementedError

    def give_back(self, conn: sqlite3.Connection, held: dict[int, int], now: str) -> None:
        """Make the rows this process still holds due at `now` (a clean stop)."""
        raise NotImplementedError

    async def before_dispatch(self) -> None:
        """Housekeeping run before each pass."""

    # ---- the loop -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        if not self.ctx.settings.database_url:
            # SQLite: this process owns the file, so the leases in it are its previous run's, whose attempts
            # were cut off by the stop; they are due now.
            released = await self.ctx.db.write(lambda conn: self.release_leases(conn, now_iso()))
            if released:
                log.info("%s: %d attempt(s) cut off by the last stop are due again", self.name, released)
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        # Let attempts already on the wire finish and record their outcome (the database closes after us).
        pending = list(self._inflight.values())
        if pending:
            _, late = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_SECONDS)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        # An attempt cut off here is due again at once (another process, or the next start, retries it)
        # rather than when its lease ends.
        held = dict(self._held)
        if held:
            now = now_iso()
            with contextlib.suppress(Exception):
                await self.ctx.db.write(lambda conn: self.give_back(conn, held, now))

    def wake(self) -> None:
        """Something was queued or finished: look for due rows now rather than at the next timeout."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.before_dispatch()
                wait = await self._dispatch()
            except Exception:
                log.exception("%s: poll failed; retrying", self.name)
                wait = 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _dispatch(self) -> float:
        """Start an attempt for every due head; returns how long to sleep if nothing wakes us. A row another
        process holds has its lease's end as next_attempt_at: it is simply not due yet."""
        heads = await self.ctx.db.read(self.due_heads)
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
            task = asyncio.create_task(self.attempt(row["id"]), name=f"{self.name}-{row['id']}")
            self._inflight[row["id"]] = task
            task.add_done_callback(functools.partial(self._done, row["id"]))
        return max(0.005, wait)

    def _done(self, row_id: int, task: asyncio.Task[None]) -> None:
        self._inflight.pop(row_id, None)
        self.wake()
