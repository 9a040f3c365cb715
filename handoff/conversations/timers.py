"""Timers derived from stored timestamps, so they survive restarts: escalate conversations left
unanswered for ESCALATE_AFTER_SECONDS, close those idle for AUTO_CLOSE_MINUTES and wake snoozed ones.

Every process ticks; on PostgreSQL each conversation is still escalated or closed once, by whichever tick
locks it first (handoff/store/timers.py says how), and only that tick announces it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from handoff.context import AppContext
from handoff.conversations import webhook_events as webhooks
from handoff.conversations.service import announce, announce_update, close_row, load_for_publish
from handoff.errors import Unavailable
from handoff.notify import alerts
from handoff.store import conversations as store
from handoff.store import metrics
from handoff.store import timers as due
from handoff.store.audit import record_event
from handoff.store.database import iso, now_iso

log = logging.getLogger("handoff.timers")
IDLE_CLOSED_TEXT = "This conversation was closed after a period of inactivity."
ESCALATED_TEXT = "Sorry for the wait! Leave your contact details and we will get back to you."


async def escalate_overdue(ctx: AppContext, after_seconds: float) -> int:
    """Escalate open conversations whose oldest unanswered customer message is older than the limit."""
    cutoff = iso(datetime.now(UTC) - timedelta(seconds=after_seconds))
    # A cheap read first: most ticks find nothing, and a write transaction would cost an fsync each time.
    if not await ctx.db.read(lambda conn: due.any_due_for_escalation(conn, cutoff)):
        return 0

    def write(conn: sqlite3.Connection) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        results = []
        for row in due.due_for_escalation(conn, cutoff):
            if not due.take_escalation(conn, row["id"], cutoff):
                continue  # escalated, answered or closed by someone else since it was read
            metrics.mark_escalated(conn, row["id"])
            message = None
            if row["channel"] == "webchat":  # only the widget can show the follow-up form
                message = store.insert_message(conn, row, "system", ESCALATED_TEXT).message
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
            message_id = close_row(conn, row, IDLE_CLOSED_TEXT)
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


class Timers:
    """Polls for due deadlines; the poll interval is a fraction of the shortest timer, capped at 1 s."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        settings = ctx.settings
        shortest = min(settings.escalate_after_seconds, settings.auto_close_minutes * 60)
        self.interval = max(0.05, min(settings.timer_interval_seconds, shortest / 5))
        self._task: asyncio.Task[None] | None = None

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

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Unavailable as exc:  # disk full, file locked: one line a tick, no trace
                log.warning("timer tick refused by the database (%s); retrying", exc)
            except Exception:
                log.exception("timer tick failed; retrying")
            await asyncio.sleep(self.interval)
