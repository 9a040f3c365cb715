"""Timers derived from stored timestamps, so they survive restarts: escalate conversations left
unanswered for ESCALATE_AFTER_SECONDS, close those idle for AUTO_CLOSE_MINUTES, wake snoozed ones and
delete uploads no message took within a day.

Every process ticks; on PostgreSQL each conversation is still escalated or closed once, by whichever tick
locks it first (handoff/store/timers.py says how), and only that tick announces it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from handoff.context import AppContext
from handoff.conversations import webhook_events as webhooks
from handoff.conversations.service import announce, announce_update, close_row, load_for_publish
from handoff.errors import Unavailable
from handoff.notify import alerts
from handoff.routing import assign, hours, texts
from handoff.store import conversations as store
from handoff.store import metrics, people, routing, uploads
from handoff.store import timers as due
from handoff.store.audit import record_event
from handoff.store.database import iso, now_iso

log = logging.getLogger("handoff.timers")
# English; each tenant gets them in its language (handoff/routing/texts.py).
IDLE_CLOSED_TEXT = texts.say("idle_closed", "en")
ESCALATED_TEXT = texts.say("escalated", "en")
UNATTACHED_UPLOAD_SECONDS = 24 * 3600


def closed_until(settings: dict[str, Any]) -> str | None:
    """None when the business is open now, else when its waiting clocks start again: the next opening
    (a tenant with no opening hours at all is looked at again in a day)."""
    now = datetime.now(UTC)
    if hours.is_open(settings, now):
        return None
    return iso(hours.next_open(settings, now) or now + timedelta(days=1))


async def escalate_overdue(ctx: AppContext, after_seconds: float) -> int:
    """Escalate open conversations whose oldest unanswered customer message is older than the limit."""
    cutoff = iso(datetime.now(UTC) - timedelta(seconds=after_seconds))
    # A cheap read first: most ticks find nothing, and a write transaction would cost an fsync each time.
    if not await ctx.db.read(lambda conn: due.any_due_for_escalation(conn, cutoff)):
        return 0

    def write(conn: sqlite3.Connection) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        results = []
        reopens: dict[int, str | None] = {}  # tenant -> when it opens next (None: open now)
        for row in due.due_for_escalation(conn, cutoff):
            if row["tenant_id"] not in reopens:
                reopens[row["tenant_id"]] = closed_until(texts.tenant_settings(conn, row["tenant_id"]))
            if (opens := reopens[row["tenant_id"]]) is not None:
                routing.defer_escalation(conn, row["id"], opens)  # closed now: no escalation outside hours
                continue
            if not due.take_escalation(conn, row["id"], cutoff):
                continue  # escalated, answered or closed by someone else since it was read
            metrics.mark_escalated(conn, row["id"])
            message = None
            if row["channel"] == "webchat":  # only the widget can show the follow-up form
                message = store.insert_message(
                    conn, row, "system", texts.for_tenant(conn, row["tenant_id"], "escalated")
                ).message
            record_event(
                conn,
                row["tenant_id"],
                "conversation.escalated",
                target_type="conversation",
                target_id=row["id"],
                detail={"after_seconds": after_seconds},
            )
            webhooks.updated(conn, row["tenant_id"], row["id"])
            if row["assignee_id"] is not None:
                alerts.queue_alert(
                    conn,
                    row["tenant_id"],
                    "escalated",
                    user_ids=[row["assignee_id"]],
                    title=f"Conversation #{row['id']} is waiting for an answer",
                    body=f"The customer in your conversation #{row['id']} has waited over {after_seconds:g} seconds.",
                    conversation_id=row["id"],
                    path=f"/admin-app/#/inbox/{row['id']}",
                )
            results.append((load_for_publish(conn, row["tenant_id"], row["id"]), message))
        return results

    results = await ctx.db.write(write)
    for conversation, message in results:
        if message is not None:
            announce(ctx, message, conversation)
        announce_update(ctx, conversation, escalation=True)
    if results:
        ctx.wake_jobs()
    return len(results)


async def close_idle(ctx: AppContext, idle_minutes: float) -> int:
    """Close open conversations with no message for the configured time."""
    cutoff = iso(datetime.now(UTC) - timedelta(minutes=idle_minutes))
    if not await ctx.db.read(lambda conn: due.any_idle(conn, cutoff)):
        return 0

    def write(conn: sqlite3.Connection) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        results = []
        for row in due.idle(conn, cutoff):
            if not due.take_idle(conn, row["id"], cutoff, now_iso()):
                continue  # a message or a close came first
            message_id = close_row(conn, row, texts.for_tenant(conn, row["tenant_id"], "idle_closed"))
            record_event(
                conn,
                row["tenant_id"],
                "conversation.closed",
                target_type="conversation",
                target_id=row["id"],
                detail={"idle_minutes": idle_minutes},
            )
            results.append((load_for_publish(conn, row["tenant_id"], row["id"]), store.load_message(conn, message_id)))
        return results

    results = await ctx.db.write(write)
    for conversation, message in results:
        if message is not None:
            announce(ctx, message, conversation)
        announce_update(ctx, conversation)
    for tenant_id in {c["tenant_id"] for c, _ in results if c.get("assignee")}:  # their agents have room now
        await assign.drain(ctx, tenant_id)
    return len(results)


async def wake_snoozed(ctx: AppContext) -> int:
    """Reopen snoozed conversations whose time has come; each wakes once, by whichever tick takes it."""
    now = now_iso()
    if not await ctx.db.read(lambda conn: due.any_snooze_due(conn, now)):
        return 0

    def write(conn: sqlite3.Connection) -> list[dict[str, Any]]:
        results = []
        for row in due.snooze_due(conn, now):
            if not due.take_wake(conn, row["id"], now):
                continue  # the customer's message, a close or another process's tick came first
            record_event(
                conn,
                row["tenant_id"],
                "conversation.woken",
                target_type="conversation",
                target_id=row["id"],
                detail={"snoozed_until": row["snoozed_until"]},
            )
            webhooks.updated(conn, row["tenant_id"], row["id"])
            results.append(load_for_publish(conn, row["tenant_id"], row["id"]))
        return results

    results = await ctx.db.write(write)
    for conversation in results:
        announce_update(ctx, conversation, tell_visitor=False)
    return len(results)


async def mark_connected_visitors_seen(ctx: AppContext) -> int:
    """With several processes, a visitor may have a socket open on another one: the away-visitor email
    (notify/customer.py) can see only this process's sockets, so each process marks its connected visitors
    seen in the shared database, often enough that none of them looks gone for the five minutes it waits."""
    now = now_iso()
    marked = 0
    for tenant_id, connected in ctx.hub.connected_visitors().items():
        # Sorted: two processes marking a visitor with tabs on both lock the rows in the same order.
        visitor_ids = sorted(connected)
        for start in range(0, len(visitor_ids), people.SEEN_CHUNK):  # a write per chunk: none holds the writer long
            chunk = visitor_ids[start : start + people.SEEN_CHUNK]
            mark = partial(people.mark_visitors_seen, tenant_id=tenant_id, visitor_ids=chunk, now=now)
            marked += await ctx.db.write(mark, retry=True)  # only database work: safe to run again
    return marked


async def sweep_uploads(ctx: AppContext, older_than_seconds: float = UNATTACHED_UPLOAD_SECONDS) -> int:
    """Delete uploads no message took within a day (picked, then not sent). On PostgreSQL the process
    that takes the sweep's lock does it; the others' ticks skip (handoff/store/uploads.py)."""
    cutoff = iso(datetime.now(UTC) - timedelta(seconds=older_than_seconds))
    if not await ctx.db.read(lambda conn: uploads.any_stale(conn, cutoff)):
        return 0
    deleted = await ctx.db.write(lambda conn: uploads.sweep(conn, cutoff))
    if deleted:
        log.info("deleted %d upload(s) no message took within a day", deleted)
    return deleted


class Timers:
    """Polls for due deadlines; the poll interval is a fraction of the shortest timer, capped at 1 s."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        settings = ctx.settings
        shortest = min(settings.escalate_after_seconds, settings.auto_close_minutes * 60)
        self.interval = max(0.05, min(settings.timer_interval_seconds, shortest / 5))
        self._task: asyncio.Task[None] | None = None
        # Marking connected visitors seen: only where other processes share the sockets, every presence TTL.
        self.seen_every = settings.presence_ttl_seconds
        self._seen_at = 0.0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="timers")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def tick(self) -> None:
        await escalate_overdue(self.ctx, self.ctx.settings.escalate_after_seconds)
        await close_idle(self.ctx, self.ctx.settings.auto_close_minutes)
        await wake_snoozed(self.ctx)
        await sweep_uploads(self.ctx)
        if self.ctx.hub.spans_processes and time.monotonic() - self._seen_at >= self.seen_every:
            self._seen_at = time.monotonic()
            await mark_connected_visitors_seen(self.ctx)

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Unavailable as exc:  # disk full, file locked: one line a tick, no trace
                log.warning("timer tick refused by the database (%s); retrying", exc)
            except Exception:
                log.exception("timer tick failed; retrying")
            await asyncio.sleep(self.interval)
