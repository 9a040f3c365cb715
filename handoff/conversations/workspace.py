"""The agent workspace's operations on many conversations at once: bulk changes and deleting a tag."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from handoff.context import AppContext
from handoff.conversations import csat
from handoff.conversations import webhook_events as webhooks
from handoff.conversations.service import Staff, announce, announce_update, apply_changes, load_for_publish
from handoff.errors import Conflict, Invalid, NotFound
from handoff.store import conversations as store
from handoff.store import tags as tag_list
from handoff.store import users
from handoff.store.audit import staff_event


@dataclass(frozen=True)
class BulkChange:
    ids: list[int]
    status: str | None = None  # open | closed
    assignee_id: int | None = None
    set_assignee: bool = False  # assignee_id given (None unassigns)
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()


def _changes_for(row: sqlite3.Row, bulk: BulkChange) -> dict[str, Any]:
    """What the bulk request changes in this conversation, as `apply_changes` takes it (nothing unchanged)."""
    changes: dict[str, Any] = {}
    if bulk.set_assignee and bulk.assignee_id != row["assignee_id"]:
        changes["assignee_id"] = bulk.assignee_id
    if bulk.add_tags or bulk.remove_tags:
        current = json.loads(row["tags"] or "[]")
        tags = sorted((set(current) | set(bulk.add_tags)) - set(bulk.remove_tags))
        if tags != sorted(current):
            changes["tags"] = tags
    shown = "snoozed" if row["status"] == "open" and row["snoozed_until"] else row["status"]
    if bulk.status and bulk.status != shown:
        changes["status"] = bulk.status
    return changes


async def bulk_update(ctx: AppContext, staff: Staff, bulk: BulkChange) -> int:
    """Apply one change to many conversations in one transaction; ids of another tenant (or none) are skipped
    and never touched. Each conversation changed is audited and announced; returns how many were changed."""

    def write(conn: sqlite3.Connection) -> list[tuple[dict[str, Any], dict[str, Any] | None, bool, csat.Asked | None]]:
        assignee = bulk.assignee_id if bulk.set_assignee else None
        if assignee is not None and not users.is_active_user(conn, staff.tenant_id, assignee):
            raise Invalid("assignee must be an active user of this tenant")
        results = []
        for conversation_id in sorted(set(bulk.ids)):  # one lock order for every bulk write: no deadlock
            row = store.conversation_of_tenant(conn, staff.tenant_id, conversation_id, lock=True)
            if row is None:
                continue  # another tenant's id, or none: skipped
            changes = _changes_for(row, bulk)
            reopen = changes.get("status") == "open" and row["status"] == "closed"
            if reopen and store.open_conversation_of(conn, row["contact_id"]) is not None:
                changes.pop("status")  # the contact has a newer open conversation: it stays closed
            if not changes:
                continue
            message_id = apply_changes(conn, staff, row, changes)
            staff_event(conn, staff, "conversation.updated", "conversation", row["id"], {**changes, "bulk": True})
            if message_id is None or len(changes) > 1:  # a close alone is conversation.closed
                webhooks.updated(conn, staff.tenant_id, row["id"])
            message = store.load_message(conn, message_id) if message_id else None
            asked = csat.on_staff_close(ctx, conn, staff.tenant_id, row["id"]) if message else None
            results.append((load_for_publish(conn, staff.tenant_id, row["id"]), message, "status" in changes, asked))
        return results

    results = await ctx.db.write(write, retry=True)
    for conversation, message, status_changed, asked in results:
        if message is not None:
            announce(ctx, message, conversation)
        announce_update(ctx, conversation, tell_visitor=status_changed)
        csat.announce_asked(ctx, asked)
    if bulk.set_assignee and results:
        ctx.wake_jobs()  # apply_changes queued the assignee's alerts
    return len(results)


async def delete_tag(ctx: AppContext, staff: Staff, name: str) -> None:
    """Take a tag off the tenant's list and off every conversation that has it; 404 when neither had it."""

    def write(conn: sqlite3.Connection) -> list[dict[str, Any]]:
        listed, conversation_ids = tag_list.delete_tag(conn, staff.tenant_id, name)
        if not listed and not conversation_ids:
            raise NotFound("tag not found")
        staff_event(conn, staff, "tag.deleted", "tag", name, {"conversations": len(conversation_ids)})
        for conversation_id in conversation_ids:
            webhooks.updated(conn, staff.tenant_id, conversation_id)
        return [load_for_publish(conn, staff.tenant_id, cid) for cid in conversation_ids]

    for conversation in await ctx.db.write(write, retry=True):
        announce_update(ctx, conversation, tell_visitor=False)


async def add_tag(ctx: AppContext, staff: Staff, name: str) -> list[str]:
    """Add a tag to the tenant's list (already listed: 409); returns the list."""

    def write(conn: sqlite3.Connection) -> list[str]:
        if name in tag_list.list_tags(conn, staff.tenant_id):
            raise Conflict("tag already exists")
        tag_list.add_tags(conn, staff.tenant_id, [name])
        staff_event(conn, staff, "tag.created", "tag", name)
        return tag_list.list_tags(conn, staff.tenant_id)

    return await ctx.db.write(write, retry=True)
