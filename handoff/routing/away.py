"""The away message for SMS and Messenger customers who write outside business hours: once per
conversation, only when the channel may deliver it now (never to a number that replied STOP, never outside
Messenger's 24-hour window). The widget shows it itself (`open_now` in its session)."""

from __future__ import annotations

import sqlite3
from typing import Any

from handoff.context import AppContext
from handoff.conversations.service import Stored, announce
from handoff.routing import hours, texts
from handoff.store import conversations as store
from handoff.store import outbox as outbox_store
from handoff.store import routing
from handoff.store.database import now_iso


async def answer_if_closed(ctx: AppContext, stored: Stored) -> None:
    """After a customer's message (and its STOP/START handling) on an outbound channel."""
    conversation = stored.conversation
    tenant_id, channel_name = conversation["tenant_id"], conversation["channel"]
    channel = ctx.channels.get(channel_name)
    if channel is None or conversation["status"] != "open":
        return
    if hours.is_open(await ctx.db.read(lambda conn: texts.tenant_settings(conn, tenant_id))):
        return

    def write(conn: sqlite3.Connection) -> tuple[dict[str, Any], dict[str, Any]] | None:
        row = store.conversation_of_tenant(conn, tenant_id, conversation["id"], lock=True)
        if row is None or row["status"] != "open" or row["away_sent"]:
            return None
        contact = store.contact_by_id(conn, row["contact_id"])
        if channel.send_problem(ctx, conn, contact, row):  # opted out, window closed, not connected
            return None
        routing.mark_away_sent(conn, row["id"])
        sent = store.insert_message(conn, row, "system", texts.for_tenant(conn, tenant_id, "away"), status="queued")
        outbox_store.enqueue(conn, tenant_id, sent.message["id"], channel_name, now_iso())
        return sent.message, store.conversation_of(conn, sent.conversation, contact, sent.message)

    outcome = await ctx.db.write(write, retry=True)
    if outcome is not None:
        announce(ctx, *outcome)
        ctx.wake_outbox()
