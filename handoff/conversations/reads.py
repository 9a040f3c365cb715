"""Read receipts: the customer has seen staff's messages up to one (they turn `read`), and staff have seen a
conversation up to one (its unread count drops for the whole team)."""

from __future__ import annotations

import sqlite3
from typing import Any

from handoff.context import AppContext
from handoff.conversations.service import Staff, load_for_publish
from handoff.live import events
from handoff.store import conversation_updates as updates
from handoff.store import conversations as store
from handoff.store import messages as message_store
from handoff.store import people


async def visitor_read(ctx: AppContext, tenant_id: int, contact_id: int, message_id: int) -> None:
    """The customer has seen everything up to `message_id`: staff messages up to it become `read`."""

    def write(conn: sqlite3.Connection) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        row = people.thread_for_visitor(conn, store.contact_by_id(conn, contact_id))
        if row is None or message_id <= row["visitor_read_message_id"]:
            return None
        upto = min(message_id, row["last_message_id"] or 0)
        if not updates.set_visitor_read(conn, row["id"], upto):  # another tab's read got there first
            return None
        changed = message_store.mark_staff_messages_read(conn, row["id"], upto)
        messages = [m for changed_id in changed if (m := store.load_message(conn, changed_id))]
        return load_for_publish(conn, tenant_id, row["id"]), messages

    outcome = await ctx.db.write(write)
    if outcome is not None:
        conversation, messages = outcome
        for message in messages:
            ctx.hub.publish(tenant_id, events.message(message, conversation))
        ctx.hub.publish(tenant_id, events.conversation_updated(conversation))


async def staff_read(ctx: AppContext, staff: Staff, conversation_id: int, message_id: int) -> None:
    """Staff have seen the conversation up to `message_id`: its unread count drops for the whole team."""

    def write(conn: sqlite3.Connection) -> dict[str, Any] | None:
        read_upto = updates.advance_staff_read(conn, staff.tenant_id, conversation_id, message_id)
        if read_upto is None:
            return None
        updates.recount_unread(conn, conversation_id, read_upto)
        return load_for_publish(conn, staff.tenant_id, conversation_id)

    conversation = await ctx.db.write(write)
    if conversation is not None:
        ctx.hub.publish(staff.tenant_id, events.conversation_updated(conversation))
