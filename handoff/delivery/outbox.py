"""Durable outbound delivery for every non-web channel (SMS, Messenger).

`conversations.staff_send` commits the staff message (status `queued`) together with an `outbox` row and
calls `wake()`. This service sends due rows through the channel adapter on `ctx.channels`:
success records the platform's id and moves the message to `sent`; network errors, 429 and 5xx retry with
exponential backoff and jitter (at least `Retry-After`); anything else fails the message at once with the
platform's error shown to staff. The table is the queue, so a restart picks up where the last run stopped.

Messages of one conversation go out in order: only the oldest pending row of a conversation is ever sent,
so a reply that is being retried is never overtaken by the next one.

Several processes may run this service on one PostgreSQL database: an attempt leases its row, and only the
attempt holding the lease records an outcome (docs/scaling.md, "Background work exactly once").
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from handoff import metrics
from handoff.config import Settings
from handoff.context import AppContext
from handoff.conversations.outbound import Delivery
from handoff.conversations.service import announce, load_for_publish
from handoff.delivery.dispatcher import LeasedDispatcher
from handoff.errors import Unavailable
from handoff.store import conversations as store
from handoff.store import locks, messages
from handoff.store import outbox as outbox_store
from handoff.store.database import iso, now_iso

log = logging.getLogger("handoff.outbox")

STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3}
MAX_RETRY_AFTER_SECONDS = 3600.0
REMEMBER_STATUS_FOR = timedelta(days=1)
# After the database refused an attempt's writes (disk full, locked by another process): the wait before
# the row is tried again.
REFUSED_PAUSE_SECONDS = 1.0
SEND_SHARE_OF_LEASE = 0.8  # of OUTBOX_LEASE_SECONDS: the longest a send may take before it counts as failed

Published = list[tuple[dict[str, Any], dict[str, Any]]]  # (message, conversation) pairs to announce


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for retryable failures (OUTBOX_BASE_DELAY_SECONDS, OUTBOX_MAX_DELAY_SECONDS, OUTBOX_MAX_ATTEMPTS)."""

    base_delay: float = 2.0
    max_delay: float = 600.0
    max_attempts: int = 12

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            base_delay=settings.outbox_base_delay_seconds,
            max_delay=settings.outbox_max_delay_seconds,
            max_attempts=settings.outbox_max_attempts,
        )

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds before the next try after `attempts` failed ones: doubling, capped, half of it jittered
        (so a burst of failures does not retry in lockstep), never sooner than the platform asked."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** max(0, attempts - 1))
        delay = random.uniform(ceiling / 2, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER_SECONDS))
        return delay


def retry_after_seconds(value: str | None) -> float | None:
    """A `Retry-After` header (seconds or an HTTP date) as seconds from now."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


# ---- delivery status, forward only ----------------------------------------------------------------


def advances(current: str | None, new: str) -> bool:
    """Whether a status report may move a message from `current` to `new`: never backwards, and a failure
    only before the platform confirmed delivery. `failed` is final."""
    if current not in STATUS_RANK:
        return False
    if new == "failed":
        return current in ("queued", "sent")
    return STATUS_RANK.get(new, -1) > STATUS_RANK[current]


def set_status(conn: sqlite3.Connection, message_id: int, current: str | None, new: str, error: str | None) -> bool:
    if not advances(current, new):
        return False
    messages.set_status(conn, message_id, new, error if new == "failed" else None)
    return True


def record_status(
    conn: sqlite3.Connection, tenant_id: int, channel: str, provider_id: str, status: str, error: str | None = None
) -> Published:
    """Apply a platform's status report for one of our sends (by its provider id). A report for an id not
    recorded yet (the platform can call back before our send has stored the id) is kept and applied when
    the outbox records it."""
    provider_lock(conn, channel, provider_id)
    row = messages.by_provider_id(conn, channel, provider_id)
    if row is None:
        if STATUS_RANK.get(status, 1) > 0:  # `queued` reports change nothing; not worth keeping
            now = datetime.now(UTC)
            outbox_store.forget_statuses_before(conn, iso(now - REMEMBER_STATUS_FOR))
            outbox_store.remember_status(conn, tenant_id, channel, provider_id, status, error, iso(now))
        return []
    if row["tenant_id"] != tenant_id or not set_status(conn, row["id"], row["status"], status, error):
        return []
    return changed(conn, tenant_id, [row["id"]])


def provider_lock(conn: sqlite3.Connection, channel: str, provider_id: str) -> None:
    """A report and the send recording its id, on two processes, take turns: otherwise the report may look
    for the id before the send records it, and be kept after the send looked for kept reports: never applied."""
    locks.serialised(conn, f"provider:{channel}:{provider_id}")


def apply_remembered(conn: sqlite3.Connection, tenant_id: int, channel: str, provider_id: str, message_id: int) -> None:
    """Apply status reports that arrived before `provider_id` was recorded, in lifecycle order."""
    reports = outbox_store.take_statuses(conn, tenant_id, channel, provider_id)
    for report in sorted(reports, key=lambda r: STATUS_RANK.get(r["status"], 1.5)):
        set_status(conn, message_id, messages.status_of(conn, message_id), report["status"], report["error"])


def changed(conn: sqlite3.Connection, tenant_id: int, message_ids: list[int]) -> Published:
    """The messages (and their conversations) to announce after a status change."""
    out = []
    for message_id in message_ids:
        message = store.load_message(conn, message_id)
        if message is not None:
            out.append((message, load_for_publish(conn, tenant_id, message["conversation_id"])))
    return out


def announce_changes(ctx: AppContext, changes: Published) -> None:
    """Staff upsert messages by id, so a status change goes out as a `message` event."""
    for message, conversation in changes:
        announce(ctx, message, conversation)


# ---- per-send progress (for adapters whose one message is several platform calls) ------------------


async def load_progress(ctx: AppContext, message_id: int) -> dict[str, Any]:
    return await ctx.db.read(lambda conn: outbox_store.progress(conn, message_id))


async def save_progress(ctx: AppContext, message_id: int, progress: dict[str, Any]) -> None:
    """Durably note how far a multi-part send got, so a retry does not resend the parts that went."""
    await ctx.db.write(lambda conn: outbox_store.save_progress(conn, message_id, progress))


# ---- the service ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    outbox_id: int
    tenant_id: int
    attempts: int
    message: dict[str, Any]
    contact: sqlite3.Row
    problem: str | None


class Outbox(LeasedDispatcher):
    """Sends due outbox rows, at most `concurrency` at a time. Each attempt leases its row first
    (OUTBOX_LEASE_SECONDS): no other process (nor this one) claims it until its outcome is recorded or the
    lease runs out, and then the outcome of the late attempt is not recorded (docs/scaling.md)."""

    name = "outbox"
    concurrency = 8

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.policy = RetryPolicy.from_settings(ctx.settings)
        # A send is cut off before its lease ends, so no other process takes the row over while it is still
        # on the wire (and sends the conversation's next reply before it).
        self.send_timeout = ctx.settings.outbox_lease_seconds * SEND_SHARE_OF_LEASE

    def due_heads(self, conn: sqlite3.Connection) -> list[sqlite3.Row]:
        # Only a conversation's oldest pending row: a reply being retried is never overtaken.
        return outbox_store.due_heads(conn)

    def release_leases(self, conn: sqlite3.Connection, now: str) -> int:
        return outbox_store.release_leases(conn, now)

    def give_back(self, conn: sqlite3.Connection, held: dict[int, int], now: str) -> None:
        for outbox_id, attempts in held.items():
            outbox_store.postpone(conn, outbox_id, attempts, now)

    async def attempt(self, outbox_id: int) -> None:
        claim: Claim | None = None
        try:
            claim = await self.ctx.db.write(lambda c: self._claim(c, outbox_id))
            if claim is None:
                return
            self._held[outbox_id] = claim.attempts
            started = now_iso()
            if claim.problem:
                delivery = Delivery(error=claim.problem)
            else:
                delivery = await self._deliver(claim)
            held = claim
            changes = await self.ctx.db.write(lambda c: self._finish(c, held, delivery, started))
            self._held.pop(outbox_id, None)
            announce_changes(self.ctx, changes)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._held.pop(outbox_id, None)
            if isinstance(exc, Unavailable):  # disk full, file locked: expected to pass, so one line, no trace
                log.warning("outbox row %d: the database refused the attempt (%s); it stays pending", outbox_id, exc)
                pause = REFUSED_PAUSE_SECONDS
            else:
                log.exception("outbox row %d: attempt crashed; it stays pending", outbox_id)
                pause = self.policy.delay(self.policy.max_attempts)
            later = iso(datetime.now(UTC) + timedelta(seconds=pause))
            attempts = None if claim is None else claim.attempts
            try:  # back off rather than spin on a row that keeps crashing
                await self.ctx.db.write(lambda conn: outbox_store.postpone(conn, outbox_id, attempts, later))
            except Exception:
                # Not even that was stored (the disk is still full): keep the row in flight here for a while,
                # or the dispatcher would claim it again at once, in a loop.
                await asyncio.sleep(REFUSED_PAUSE_SECONDS)

    def _claim(self, conn: sqlite3.Connection, outbox_id: int) -> Claim | None:
        """Count the attempt before making it (a crash mid-send still counts), lease the row, and re-check
        that the channel may deliver now: the contact may have opted out, or the Messenger window closed,
        since queuing."""
        # Due-ness is checked again here, against the writer's view: the dispatcher's read may predate the
        # outcome of an attempt that has just finished and scheduled a retry, or another process's claim.
        now = datetime.now(UTC)
        row = outbox_store.claim(conn, outbox_id, iso(now), iso(now + self.lease))
        if row is None:
            return None
        message = store.load_message(conn, row["message_id"])
        assert message is not None
        conversation = store.conversation_by_id(conn, message["conversation_id"])
        contact = store.contact_by_id(conn, conversation["contact_id"])
        channel = self.ctx.channels.get(row["channel"])
        problem = (
            f"no outbound adapter for channel {row['channel']!r}"
            if channel is None
            else channel.send_problem(self.ctx, conn, contact, conversation)
        )
        return Claim(row["id"], row["tenant_id"], row["attempts"], message, contact, problem)

    async def _deliver(self, claim: Claim) -> Delivery:
        channel = self.ctx.channels[claim.message["channel"]]
        try:
            async with asyncio.timeout(self.send_timeout):
                return await channel.deliver(self.ctx, claim.message, claim.contact)
        except TimeoutError:
            log.warning(
                "outbox row %d: no answer from %s before the lease's end; retrying", claim.outbox_id, channel.name
            )
            return Delivery(error="the platform did not answer in time", retry=True)
        except Exception as exc:  # a bug or an unexpected reply: retry like a transient error, and log it
            log.exception("outbox row %d: %s adapter raised", claim.outbox_id, channel.name)
            return Delivery(error=f"unexpected error ({exc.__class__.__name__})", retry=True)

    def _finish(self, conn: sqlite3.Connection, claim: Claim, delivery: Delivery, started: str) -> Published:
        """Record the attempt's outcome, unless its lease ran out and another attempt took the row over: then
        nothing is recorded here (that attempt records its own)."""
        message_id = claim.message["id"]
        if delivery.provider_id:
            if not outbox_store.mark_done(conn, claim.outbox_id, claim.attempts, started):
                return self._taken_over(claim, f"sent as {delivery.provider_id}")
            provider_lock(conn, claim.message["channel"], delivery.provider_id)
            if not messages.record_provider_id(conn, message_id, delivery.provider_id):
                # the platform reused an id we hold: keep the message, not the id
                log.error("outbox row %d: provider id already recorded on another message", claim.outbox_id)
            set_status(conn, message_id, messages.status_of(conn, message_id), "sent", None)
            metrics.QUEUE_ATTEMPTS.labels("outbox", "sent").inc()
            apply_remembered(conn, claim.tenant_id, claim.message["channel"], delivery.provider_id, message_id)
            return changed(conn, claim.tenant_id, [message_id])
        error = delivery.error or "unknown error"
        if delivery.retry and claim.attempts < self.policy.max_attempts:
            delay = self.policy.delay(claim.attempts, delivery.retry_after)
            later = iso(datetime.now(UTC) + timedelta(seconds=delay))
            if not outbox_store.schedule_retry(conn, claim.outbox_id, claim.attempts, later, error):
                return self._taken_over(claim, error)
            metrics.QUEUE_ATTEMPTS.labels("outbox", "retry").inc()
            log.warning("outbox row %d: attempt %d failed (%s); retrying", claim.outbox_id, claim.attempts, error)
            return []
        if delivery.retry:
            error = f"{error} (gave up after {claim.attempts} attempts)"
        if not outbox_store.mark_failed(conn, claim.outbox_id, claim.attempts, error):
            return self._taken_over(claim, error)
        messages.set_status(conn, message_id, "failed", error)
        metrics.QUEUE_ATTEMPTS.labels("outbox", "failed").inc()
        log.warning("outbox row %d: failed: %s", claim.outbox_id, error)
        return changed(conn, claim.tenant_id, [message_id])

    def _taken_over(self, claim: Claim, outcome: str) -> Published:
        log.warning(
            "outbox row %d: attempt %d outlived its lease and another attempt took the row over; its outcome"
            " (%s) is not recorded",
            claim.outbox_id,
            claim.attempts,
            outcome,
        )
        return []
