"""The timers' work, one tick at a time, against a migrated file and the real hub: what is due is escalated or
closed once (a later tick finds nothing), audited, and announced to staff and to the web visitor."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from starlette.websockets import WebSocket

from handoff.context import AppContext
from handoff.conversations.timers import ESCALATED_TEXT, IDLE_CLOSED_TEXT, close_idle, escalate_overdue
from handoff.live.sockets import Socket
from handoff.store import conversations as store
from handoff.store.database import iso
from tests.unit.helpers import add_tenant, app_context, queued, run


def listening(ctx: AppContext, tenant_id: int, visitor_id: str | None = None) -> Socket:
    """A socket in the hub that is not running: what the hub offers it stays in its queue."""
    sock = Socket(cast(WebSocket, object()), tenant_id, visitor_id=visitor_id, user_id=None if visitor_id else 1)
    ctx.hub.add(sock)
    queued(sock)  # not the presence frames of joining
    return sock


def waiting_conversation(conn: sqlite3.Connection, tenant_id: int, channel: str, key: str, ago: timedelta) -> int:
    """A customer message left unanswered (and the conversation idle) since `ago`."""
    conversation = store.open_conversation(conn, store.contact_for_message(conn, tenant_id, channel, key))
    store.insert_message(conn, conversation, "visitor", "anyone there?")
    then = iso(datetime.now(UTC) - ago)
    conn.execute(
        "UPDATE conversations SET awaiting_since = ?, last_message_at = ? WHERE id = ?",
        (then, then, conversation["id"]),
    )
    return int(conversation["id"])


async def waiting(ctx: AppContext, *conversations: tuple[int, str, str, timedelta]) -> list[int]:
    """Several waiting conversations, each given as (tenant id, channel, contact key, waiting for)."""
    return await ctx.db.write(lambda c: [waiting_conversation(c, *spec) for spec in conversations])


def column(conn: sqlite3.Connection, name: str) -> dict[int, Any]:
    """One column of every conversation, by id."""
    return {r["id"]: r[name] for r in conn.execute(f"SELECT id, {name} FROM conversations")}


def audited(conn: sqlite3.Connection, action: str) -> list[str]:
    return [r[0] for r in conn.execute("SELECT target_id FROM events WHERE action = ? ORDER BY id", (action,))]


def test_an_overdue_conversation_is_escalated_once_however_many_ticks(db_path: str) -> None:
    async def scenario() -> None:
        async with app_context(db_path) as ctx:
            tenant_id = await ctx.db.write(add_tenant)
            web, sms, fresh = await waiting(
                ctx,
                (tenant_id, "webchat", "v1", timedelta(minutes=10)),
                (tenant_id, "sms", "+15550001", timedelta(minutes=10)),
                (tenant_id, "webchat", "v2", timedelta(seconds=5)),
            )
            staff, visitor = listening(ctx, tenant_id), listening(ctx, tenant_id, "v1")

            assert await escalate_overdue(ctx, after_seconds=60) == 2
            escalated = await ctx.db.read(lambda c: column(c, "escalated"))
            assert escalated == {web: 1, sms: 1, fresh: 0}  # the one waiting 5 s is not due

            to_staff = queued(staff)
            assert sorted(f["conversation"]["id"] for f in to_staff if f["type"] == "escalation") == [web, sms]
            system = [f["message"] for f in to_staff if f["type"] == "message"]
            assert [(m["conversation_id"], m["text"]) for m in system] == [(web, ESCALATED_TEXT)]  # the widget's form
            assert queued(visitor) == [
                {"type": "message", "message": system[0]},
                {"type": "conversation", "conversation": {"id": web, "status": "open", "escalated": True}},
            ]

            for _ in range(3):  # later ticks: nothing is due any more
                assert await escalate_overdue(ctx, after_seconds=60) == 0
            assert queued(staff) == [] and queued(visitor) == []
            events = await ctx.db.read(lambda c: audited(c, "conversation.escalated"))
            assert sorted(events) == sorted([str(web), str(sms)])

    run(scenario())


def test_an_idle_conversation_is_closed_once_with_a_system_message(db_path: str) -> None:
    async def scenario() -> None:
        async with app_context(db_path) as ctx:
            tenant_id, other_tenant = await ctx.db.write(lambda c: (add_tenant(c), add_tenant(c)))
            idle, mine_active, theirs = await waiting(
                ctx,
                (tenant_id, "webchat", "v1", timedelta(hours=2)),
                (tenant_id, "webchat", "v2", timedelta(minutes=1)),
                (other_tenant, "webchat", "v1", timedelta(hours=2)),
            )
            staff, visitor = listening(ctx, tenant_id), listening(ctx, tenant_id, "v1")

            assert await close_idle(ctx, idle_minutes=30) == 2  # idle ones of every tenant
            status = await ctx.db.read(lambda c: column(c, "status"))
            assert status == {idle: "closed", mine_active: "open", theirs: "closed"}

            to_staff = queued(staff)
            assert [f["type"] for f in to_staff] == ["message", "conversation_updated"]
            assert to_staff[0]["message"]["text"] == IDLE_CLOSED_TEXT and to_staff[1]["conversation"]["id"] == idle
            assert [f["type"] for f in queued(visitor)] == ["message", "conversation"]

            assert await close_idle(ctx, idle_minutes=30) == 0
            assert queued(staff) == [] and queued(visitor) == []
            events = await ctx.db.read(lambda c: audited(c, "conversation.closed"))
            assert sorted(events) == sorted([str(idle), str(theirs)])

    run(scenario())
