"""Auto-assignment (tenant `settings.auto_assign`): a waiting conversation goes to the available agent with
the fewest open assigned conversations below their cap (`users.max_open`), ties to the one assigned least
recently. With nobody available conversations wait unassigned, oldest first, and `drain` runs again when an
agent may have room: one connects or comes back from away, one of theirs closes, a cap or the setting
changes, a conversation arrives.

Race-free across processes: the whole read-then-write runs under the tenant's `serialised` lock (PostgreSQL
advisory lock; SQLite has one writer), so two processes never both see an agent below their cap, and `take`
assigns only a still-unassigned conversation. Every assignment is audited (`conversation.assigned`) and
announced (`conversation_updated`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from functools import partial
from typing import Any

from handoff.context import AppContext
from handoff.conversations import webhook_events
from handoff.live import events
from handoff.notify import alerts
from handoff.routing.texts import tenant_settings
from handoff.store import conversations
from handoff.store import routing as store
from handoff.store.audit import record_event
from handoff.store.locks import serialised


def _enabled_with_queue(conn: sqlite3.Connection, tenant_id: int) -> bool:
    return bool(tenant_settings(conn, tenant_id).get("auto_assign")) and bool(store.waiting(conn, tenant_id)[:1])


def assign_waiting(
    conn: sqlite3.Connection, tenant_id: int, available: Collection[int], requeue: tuple[int, int] | None = None
) -> list[dict[str, Any]]:
    """The write: assign what waits to who has room; the conversations assigned, ready to publish.
    `requeue`: (conversation id, last assignee) of a reopened conversation whose assignee is not available."""
    serialised(conn, f"assign:{tenant_id}")
    if not tenant_settings(conn, tenant_id).get("auto_assign"):
        return []
    if requeue is not None:
        store.unassign_if(conn, *requeue)
    candidates = store.agents(conn, tenant_id, available)
    assigned = []
    for conversation_id in store.waiting(conn, tenant_id) if candidates else []:
        agent = store.pick(candidates)
        if agent is None:
            break
        if not store.take(conn, conversation_id, agent):
            continue
        # The agent hears of it (email, push) when not signed in, and integrations see the change.
        alerts.queue_assigned(conn, tenant_id, agent.id, conversation_id, by="Auto-assignment")
        webhook_events.updated(conn, tenant_id, conversation_id)
        record_event(
            conn,
            tenant_id,
            "conversation.assigned",
            target_type="conversation",
            target_id=conversation_id,
            detail={"assignee_id": agent.id, "auto": True},
        )
        conversation = conversations.load_conversation(conn, tenant_id, conversation_id)
        if conversation is not None:
            assigned.append({**conversation, "tenant_id": tenant_id})
    return assigned


async def drain(ctx: AppContext, tenant_id: int, requeue: tuple[int, int] | None = None) -> int:
    """Assign waiting conversations of the tenant while available agents have room; how many were."""
    available = ctx.hub.available_user_ids(tenant_id)
    # A cheap read first: most triggers find nobody available, the setting off or nothing waiting.
    if requeue is None and (not available or not await ctx.db.read(partial(_enabled_with_queue, tenant_id=tenant_id))):
        return 0
    assigned = await ctx.db.write(lambda conn: assign_waiting(conn, tenant_id, available, requeue), retry=True)
    for conversation in assigned:
        ctx.hub.publish(tenant_id, events.conversation_updated(conversation))
    if assigned:
        ctx.wake_jobs()  # the alerts and webhook deliveries queued with the assignments
    return len(assigned)


async def reopened(ctx: AppContext, conversation: dict[str, Any]) -> None:
    """A reopened conversation stays with its last assignee when they are available; otherwise it waits
    in the queue like a new one (auto-assignment on)."""
    assignee = conversation.get("assignee")
    tenant_id = conversation["tenant_id"]
    if assignee is None:
        await drain(ctx, tenant_id)
    elif assignee["id"] not in ctx.hub.available_user_ids(tenant_id):
        await drain(ctx, tenant_id, requeue=(conversation["id"], assignee["id"]))


async def changed(ctx: AppContext, conversation: dict[str, Any], before_status: str | None = None) -> None:
    """After a conversation changed: a close frees a place, a reopen routes it again, a new unassigned one
    waits for an agent."""
    if conversation["status"] == "open" and before_status == "closed":
        await reopened(ctx, conversation)
    elif (conversation["status"] == "closed" and conversation.get("assignee") is not None) or (
        conversation["status"] == "open" and conversation.get("assignee") is None
    ):
        await drain(ctx, conversation["tenant_id"])
