"""Contacts as people: edit a person's details, and merge two people into one.

A merge makes the other person's identities (visitor id, phone number, PSID) identities of this one, so
their conversations are this person's and their next message lands in this person's open thread. Each
conversation keeps its own channel identity, so replies in it still go to the address it was started from.
When both people had an open conversation, the other one's is closed (with a system message naming the
kept thread): a person has one open thread, and it is this contact's.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from handoff.context import AppContext
from handoff.errors import Invalid, NotFound
from handoff.live import events
from handoff.store import conversations as conversation_store
from handoff.store import people as store
from handoff.store.audit import staff_event

from . import webhook_events as webhooks
from .service import Staff, announce, close_row, load_for_publish

CONTACT_NOT_FOUND = "contact not found"


async def update(ctx: AppContext, staff: Staff, contact_id: int, changes: dict[str, str | None]) -> dict[str, Any]:
    def write(conn: sqlite3.Connection) -> dict[str, Any]:
        if store.person_row(conn, staff.tenant_id, contact_id, lock=True) is None:
            raise NotFound(CONTACT_NOT_FOUND)
        store.update_person(conn, contact_id, changes)
        staff_event(conn, staff, "contact.updated", "contact", contact_id, {"changed": sorted(changes)})
        person = store.get_person(conn, staff.tenant_id, contact_id)
        assert person is not None
        return person

    return await ctx.db.write(write)


async def merge(ctx: AppContext, staff: Staff, contact_id: int, other_id: int) -> dict[str, Any]:
    """Merge `other_id` into `contact_id`; announces every conversation that changed hands."""
    if contact_id == other_id:
        raise Invalid("a contact cannot be merged with itself")

    def write(conn: sqlite3.Connection) -> tuple[dict[str, Any], list[dict[str, Any]], dict[int, dict[str, Any]]]:
        # Locked in id order: a concurrent merge of either person waits, then finds it merged (404).
        pair = store.lock_pair(conn, staff.tenant_id, contact_id, other_id)
        keep, other = pair[contact_id], pair[other_id]
        if keep is None or other is None:
            raise NotFound(CONTACT_NOT_FOUND)
        kept_open = store.open_conversations_of(conn, contact_id)
        other_open = store.open_conversations_of(conn, other_id)
        moved = store.conversation_ids_of(conn, other_id)
        closed: dict[int, dict[str, Any]] = {}
        if kept_open and other_open:
            thread = kept_open[0]["id"]
            for row in other_open:
                message_id = close_row(conn, row, f"Contact merged: this conversation continues in #{thread}.")
                message = conversation_store.load_message(conn, message_id)
                assert message is not None
                closed[row["id"]] = message
        store.join(conn, keep, other)
        for moved_id in moved:
            webhooks.updated(conn, staff.tenant_id, moved_id)
        staff_event(
            conn,
            staff,
            "contact.merged",
            "contact",
            contact_id,
            {"other_id": other_id, "conversations": moved, "closed": sorted(closed)},
        )
        person = store.get_person(conn, staff.tenant_id, contact_id)
        assert person is not None
        return person, [load_for_publish(conn, staff.tenant_id, c) for c in moved], closed

    person, conversations, closed = await ctx.db.write(write, retry=True)
    for conversation in conversations:
        if conversation["id"] in closed:
            announce(ctx, closed[conversation["id"]], conversation)
        ctx.hub.publish(staff.tenant_id, events.conversation_updated(conversation))
    webhooks.wake_if_queued(ctx)
    return person
