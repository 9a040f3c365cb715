"""Private notes: a staff message only the team sees, optionally mentioning teammates.

A note goes to staff sockets only (never the visitor, never the outbox), and leaves the conversation as it
was: closed stays closed, the customer's waiting and escalation clocks keep running, no first response is
recorded and nobody is assigned by it (docs/api.md, "Private notes").
"""

from __future__ import annotations

import sqlite3
from typing import Any

from handoff.context import AppContext
from handoff.conversations.audience import visitors_of
from handoff.conversations.service import Staff, Stored, load_for_publish, loaded
from handoff.errors import Invalid, NotFound
from handoff.live import events
from handoff.notify import alerts
from handoff.store import conversations as store
from handoff.store import uploads, users
from handoff.store.notes import insert_note

MAX_MENTIONS = 20


async def staff_note(
    ctx: AppContext,
    staff: Staff,
    conversation_id: int,
    text: str,
    client_id: str | None,
    mentions: list[int] | None = None,
    attachment_ids: list[int] | None = None,
) -> Stored:
    """Store a note and show it to the team; each mentioned member (other than the author) gets a `mention`."""
    external_id = f"staff:{staff.id}:{client_id}" if client_id else None
    wanted = sorted(set(mentions or ()))
    if len(wanted) > MAX_MENTIONS:
        raise Invalid(f"mention at most {MAX_MENTIONS} team members")

    def write(conn: sqlite3.Connection) -> tuple[dict[str, Any], dict[str, Any], bool]:
        row = store.conversation_of_tenant(conn, staff.tenant_id, conversation_id)
        if row is None:
            raise NotFound("conversation not found")
        if external_id and (existing := store.find_by_external_id(conn, staff.tenant_id, row["channel"], external_id)):
            return loaded(conn, staff.tenant_id, existing["id"], existing["conversation_id"], duplicate=True)
        for user_id in wanted:
            if not users.is_active_user(conn, staff.tenant_id, user_id):
                raise Invalid(f"mentions: {user_id} is not an active member of this team")
        attachments = None
        if attachment_ids:  # the author's own uploads; a note's links reach staff sockets only
            attachments = uploads.attachments(conn, staff.tenant_id, f"staff:{staff.id}", attachment_ids)
        note = insert_note(
            conn,
            row,
            text,
            author_id=staff.id,
            author_name=staff.name,
            external_id=external_id,
            client_id=client_id,
            attachments=attachments,
        )
        if attachment_ids:
            uploads.attach(conn, staff.tenant_id, attachment_ids, note["id"])
        if mentioned := [user_id for user_id in wanted if user_id != staff.id]:
            alerts.queue_alert(
                conn,
                staff.tenant_id,
                "mentioned",
                user_ids=mentioned,
                title=f"{staff.name} mentioned you in conversation #{row['id']}",
                body=text,  # a note: the team's own words, only ever sent to the team
                conversation_id=row["id"],
                path=f"/admin-app/#/inbox/{row['id']}",
            )
        return note, load_for_publish(conn, staff.tenant_id, row["id"]), False

    note, conversation, duplicate = await ctx.db.write(write, retry=True)
    _, conversation = visitors_of(conversation)  # staff only: the routing key is not for them either
    if not duplicate:
        tenant_id = conversation["tenant_id"]
        ctx.hub.publish(tenant_id, events.message(note, conversation))  # staff only: no visitor is named
        notify = frozenset(wanted) - {staff.id}
        if notify:
            ctx.hub.publish(tenant_id, events.mention(note, conversation, staff.id, staff.name), users=notify)
            ctx.wake_jobs()
    return Stored(note, conversation)
