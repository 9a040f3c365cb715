"""The conversation path every channel shares: receive a customer message, staff replies, assign, close,
reopen, escalate, read receipts. Each operation commits first, then announces through `hub.publish`."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Protocol

from handoff import metrics as instruments
from handoff.context import AppContext
from handoff.conversations import webhook_events as webhooks
from handoff.conversations.audience import visitors_of, with_visitors
from handoff.errors import Conflict, Invalid, NotFound
from handoff.live import events
from handoff.notify import alerts, customer
from handoff.routing import assign, texts
from handoff.store import closed, media, metrics, people, uploads, users
from handoff.store import conversation_updates as updates
from handoff.store import conversations as store
from handoff.store import outbox as outbox_store
from handoff.store import tags as tag_list
from handoff.store.audit import record_event, staff_event
from handoff.store.database import now_iso, parse_iso
from handoff.store.locks import serialised

CLOSED_TEXT = texts.say("closed", "en")  # in the tenant's language: handoff/routing/texts.py
NO_PUBLIC_BASE = (
    "Attachments cannot be sent on this channel yet: the platform fetches files from this server's public"
    " address, so set PUBLIC_BASE_URL."
)
StoredRow = tuple[dict[str, Any], dict[str, Any], bool]  # the message, its conversation, and "already stored"


class Staff(Protocol):
    """The signed-in staff member an operation acts for (`handoff.identity.Staff` is one); a protocol rather
    than an import, so this layer depends on no caller's type."""

    @property
    def id(self) -> int: ...

    @property
    def tenant_id(self) -> int: ...

    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class Inbound:
    """One customer message from any channel, in the one shape this module accepts."""

    tenant_id: int
    channel: str  # webchat | sms | messenger
    contact_key: str  # visitor id, phone number or Messenger PSID
    text: str
    external_id: str | None = None  # idempotency key: a retry with the same key is stored once
    client_id: str | None = None
    attachments: list[dict[str, Any]] | None = None
    attachment_ids: tuple[int, ...] = ()  # the visitor's own uploads (web chat), resolved in the write
    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Stored:
    message: dict[str, Any]
    conversation: dict[str, Any]


def announce(ctx: AppContext, message: dict[str, Any], conversation: dict[str, Any], origin: Any = None) -> None:
    """Staff get every message with its conversation; a web visitor also gets it on every open tab."""
    visitors, conversation = visitors_of(conversation)
    ctx.hub.publish(conversation["tenant_id"], events.message(message, conversation))
    for visitor in visitors if not message.get("private") else ():  # a note never reaches a visitor
        ctx.hub.publish(conversation["tenant_id"], events.message(message), staff=False, visitor=visitor, skip=origin)
    webhooks.wake_if_queued(ctx)


def announce_update(
    ctx: AppContext, conversation: dict[str, Any], *, escalation: bool = False, tell_visitor: bool = True
) -> None:
    """Staff see every change; the web visitor only status and escalation changes (tags are internal)."""
    tenant_id = conversation["tenant_id"]
    visitors, conversation = visitors_of(conversation)
    ctx.hub.publish(
        tenant_id, events.escalation(conversation) if escalation else events.conversation_updated(conversation)
    )
    for visitor in visitors if tell_visitor else ():
        ctx.hub.publish(tenant_id, events.visitor_conversation(conversation), staff=False, visitor=visitor)
    webhooks.wake_if_queued(ctx)


# The writes below that pass `retry=True` (receive, staff_send, update, close_for_visitor) do only database
# work and look before they insert: run again after a conflict with another process's transaction (the same
# provider message id or client id stored at once, a deadlock), they find its row and answer as for a retry.


def load_for_publish(
    conn: sqlite3.Connection, tenant_id: int, conversation_id: int, known: dict[str, Any] | None = None
) -> dict[str, Any]:
    conversation = store.load_conversation(conn, tenant_id, conversation_id, known)
    if conversation is None:
        raise NotFound("conversation not found")
    conversation["tenant_id"] = tenant_id  # routing only; stripped before it leaves the server
    return with_visitors(conn, conversation, people.person_id(conn, conversation["contact"]["id"]))


def loaded(
    conn: sqlite3.Connection, tenant_id: int, message_id: int, conversation_id: int, *, duplicate: bool
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """A stored message and its conversation, read back inside the write that stored them."""
    message = store.load_message(conn, message_id)
    assert message is not None
    return message, load_for_publish(conn, tenant_id, conversation_id, message), duplicate


async def receive(ctx: AppContext, inbound: Inbound, origin: Any = None) -> Stored:
    """Store a customer message (once, whatever the retries), opening a conversation when none is open.

    `origin` is the visitor socket it arrived on, if any: that tab is answered with an ack, not an echo.
    """

    woke = False  # the message ended a snooze: staff also get a conversation_updated
    first = False  # the conversation's first message: auto-assignment may route it
    queued_fetch = False

    resend_key = (inbound.tenant_id, inbound.channel, inbound.external_id or "")

    def resent(conn: sqlite3.Connection, existing: sqlite3.Row | None = None) -> StoredRow:
        """The message a resend repeats, answered as the first one was (nothing is announced again)."""
        existing = existing or store.find_by_external_id(conn, *resend_key)
        assert existing is not None
        return loaded(conn, inbound.tenant_id, existing["id"], existing["conversation_id"], duplicate=True)

    def write(conn: sqlite3.Connection) -> StoredRow:
        nonlocal woke, first, queued_fetch
        woke = first = False  # a retried write starts over
        queued_fetch = False
        contact = store.contact_for_message(
            conn,
            inbound.tenant_id,
            inbound.channel,
            inbound.contact_key,
            name=inbound.name,
            email=inbound.email,
            phone=inbound.phone,
        )
        if contact["person_id"] is not None:  # a merged person: one thread across identities, so one opener
            serialised(conn, f"person:{contact['person_id']}")
        conversation = people.open_conversation_for(conn, contact, people.MESSAGE_TARGET)
        plain = not (inbound.attachments or inbound.attachment_ids)
        if conversation is not None and conversation["snoozed_until"] is None and inbound.external_id and plain:
            # The common case, in one statement fewer: the unique index on external_id tells a resend.
            first = conversation["last_message_id"] is None
            found = store.insert_customer_message_once(
                conn, conversation, inbound.text, external_id=inbound.external_id, client_id=inbound.client_id
            )
            if found is None:
                return resent(conn)
            stored = found
        else:  # look for a resend first: it must not open, wake or attach anything
            if inbound.external_id and (existing := store.find_by_external_id(conn, *resend_key)) is not None:
                return resent(conn, existing)
            conversation = conversation or store.open_conversation(conn, contact)
            first = conversation["last_message_id"] is None
            if conversation["snoozed_until"] is not None:
                woke = updates.wake(conn, conversation["id"])
                if woke:
                    webhooks.updated(conn, inbound.tenant_id, conversation["id"])
            attachments = inbound.attachments
            if inbound.attachment_ids:
                owner = f"visitor:{inbound.contact_key}"
                attachments = uploads.attachments(conn, inbound.tenant_id, owner, list(inbound.attachment_ids))
            stored = store.insert_message(
                conn,
                conversation,
                "visitor",
                inbound.text,
                external_id=inbound.external_id,
                client_id=inbound.client_id,
                attachments=attachments,
            )
            if inbound.attachment_ids:
                uploads.attach(conn, inbound.tenant_id, list(inbound.attachment_ids), stored.message["id"])
            if inbound.attachments:  # platform links: fetched and stored by a job, not while the webhook waits
                media.queue_fetch(conn, inbound.tenant_id, stored.message["id"])
                queued_fetch = True
        if conversation["contact_id"] != contact["id"]:  # the person's thread is open on another identity
            contact = store.contact_by_id(conn, conversation["contact_id"])
        shown = store.conversation_of(conn, stored.conversation, contact, stored.message)
        return stored.message, with_visitors(conn, shown, contact["person_id"]), False

    message, conversation, duplicate = await ctx.db.write(write, retry=True)
    if not duplicate:
        instruments.message_in(inbound.channel)
        announce(ctx, message, conversation, origin)
        if queued_fetch:
            ctx.wake_jobs()
        if woke:
            announce_update(ctx, conversation, tell_visitor=False)
        if first and conversation["assignee"] is None:
            await assign.drain(ctx, inbound.tenant_id)
    return Stored(message, conversation)


async def staff_send(
    ctx: AppContext,
    staff: Staff,
    conversation_id: int,
    text: str,
    client_id: str | None,
    attachment_ids: list[int] | None = None,
) -> Stored:
    """Store a staff reply and hand it to its channel: the hub for web chat, the outbox for SMS/Messenger.
    `attachment_ids`: the sender's own uploads; SMS sends them as MMS, Messenger as attachments."""

    external_id = f"staff:{staff.id}:{client_id}" if client_id else None

    def write(conn: sqlite3.Connection) -> StoredRow:
        row = store.conversation_of_tenant(conn, staff.tenant_id, conversation_id)
        if row is None:
            raise NotFound("conversation not found")
        if external_id and (existing := store.find_by_external_id(conn, staff.tenant_id, row["channel"], external_id)):
            return loaded(conn, staff.tenant_id, existing["id"], existing["conversation_id"], duplicate=True)
        attachments = None
        if attachment_ids:
            attachments = uploads.attachments(conn, staff.tenant_id, f"staff:{staff.id}", attachment_ids)
        contact = store.contact_by_id(conn, row["contact_id"])
        channel = ctx.channels.get(row["channel"])
        if channel is None and row["channel"] != "webchat":
            raise Conflict(f"replies on {row['channel']!r} cannot be sent: this server has no adapter for that channel")
        if channel is not None and (problem := channel.send_problem(ctx, conn, contact, row)):
            raise Conflict(problem)
        if channel is not None and attachments and not channel.media_base(ctx, conn, staff.tenant_id):
            raise Conflict(NO_PUBLIC_BASE)
        if row["status"] == "closed":
            _reopen(conn, row)
        if row["assignee_id"] is None:  # whoever answers an unassigned conversation takes it
            updates.set_assignee(conn, row["id"], staff.id)
        if row["status"] == "closed" or row["assignee_id"] is None:
            webhooks.updated(conn, staff.tenant_id, row["id"])
        stored = store.insert_message(
            conn,
            row,
            "staff",
            text,
            author_id=staff.id,
            author_name=staff.name,
            external_id=external_id,
            client_id=client_id,
            status="queued" if channel else "sent",
            attachments=attachments,
        )
        if attachment_ids:
            uploads.attach(conn, staff.tenant_id, attachment_ids, stored.message["id"])
        if channel is not None:
            outbox_store.enqueue(conn, staff.tenant_id, stored.message["id"], row["channel"], now_iso())
        elif customer.queue_if_away(ctx, conn, contact, agent=staff.name, text=text):
            emailed.append(stored.message["id"])  # the visitor went away: the reply goes by email too
        shown = store.conversation_of(conn, stored.conversation, contact, stored.message)
        return stored.message, with_visitors(conn, shown, contact["person_id"]), False

    emailed: list[int] = []
    message, conversation, duplicate = await ctx.db.write(write, retry=True)
    if not duplicate:
        instruments.message_out(conversation["channel"])
        announce(ctx, message, conversation)
        if conversation["channel"] in ctx.channels:
            ctx.wake_outbox()
        if emailed:
            ctx.wake_jobs()
    return Stored(message, conversation)


def _reopen(conn: sqlite3.Connection, row: sqlite3.Row) -> None:
    if store.open_conversation_of(conn, row["contact_id"]) is not None:
        raise Conflict("this contact has a newer open conversation")
    updates.reopen(conn, row["id"])
    metrics.clear_resolution(conn, row["id"])
    closed.unindex(conn, row["id"])


def close_row(conn: sqlite3.Connection, row: sqlite3.Row, text: str) -> int:
    """Close, record resolution metrics, index the transcript; returns the system message's id."""
    message_id = store.insert_message(conn, row, "system", text).message["id"]
    now = now_iso()
    updates.mark_closed(conn, row["id"], now)
    started_at = metrics.started_at(conn, row["id"])
    if started_at is not None:
        customer_messages, staff_messages = closed.message_counts(conn, row["id"])
        metrics.record_resolution(
            conn,
            row["id"],
            resolved_at=now,
            seconds=(parse_iso(now) - parse_iso(started_at)).total_seconds(),
            missed=staff_messages == 0,  # closed without a staff reply
            customer_messages=customer_messages,
            staff_messages=staff_messages,
        )
    closed.index_for_search(conn, row["id"])
    webhooks.conversation_event(conn, row["tenant_id"], "conversation.closed", row["id"])
    return int(message_id)


def apply_changes(conn: sqlite3.Connection, staff: Staff, row: sqlite3.Row, changes: dict[str, Any]) -> int | None:
    """Apply staff changes (status open|closed|snoozed with snoozed_until, assignee_id, tags) to a locked row;
    returns the id of a system message written (a close), if any. The caller audits and announces."""
    if "assignee_id" in changes and changes["assignee_id"] != row["assignee_id"]:
        assignee = changes["assignee_id"]
        if assignee is not None and not users.is_active_user(conn, staff.tenant_id, assignee):
            raise Invalid("assignee must be an active user of this tenant")
        updates.set_assignee(conn, row["id"], assignee)
        if assignee is not None and assignee != staff.id:  # nobody is told what they did themselves
            alerts.queue_assigned(conn, staff.tenant_id, assignee, row["id"], by=staff.name)
    if "tags" in changes:
        updates.set_tags(conn, row["id"], changes["tags"])
        tag_list.add_tags(conn, staff.tenant_id, changes["tags"])  # a tag set on a conversation joins the list
    status = changes.get("status")
    if status == "closed" and row["status"] == "open":
        return close_row(conn, row, texts.for_tenant(conn, staff.tenant_id, "closed"))
    if status == "open" and row["status"] == "closed":
        _reopen(conn, row)
    elif status == "open" and row["snoozed_until"] is not None:
        updates.wake(conn, row["id"])
    elif status == "snoozed":
        if row["status"] == "closed":
            raise Conflict("a closed conversation cannot be snoozed: reopen it first")
        updates.snooze(conn, row["id"], changes["snoozed_until"])
    return None


async def update(ctx: AppContext, staff: Staff, conversation_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply staff changes (status, snooze, assignee_id, tags); each change is audited and announced."""

    from handoff.conversations import csat  # it builds on this module

    before: dict[str, str] = {}

    def write(conn: sqlite3.Connection) -> tuple[dict[str, Any], dict[str, Any] | None, csat.Asked | None]:
        # Locked: a close (or reopen) of the same conversation on another process waits, then sees this one.
        row = store.conversation_of_tenant(conn, staff.tenant_id, conversation_id, lock=True)
        if row is None:
            raise NotFound("conversation not found")
        before["status"] = row["status"]
        system_message_id = apply_changes(conn, staff, row, changes)
        staff_event(conn, staff, "conversation.updated", "conversation", row["id"], changes)
        if system_message_id is None or len(changes) > 1:  # a close alone is conversation.closed
            webhooks.updated(conn, staff.tenant_id, row["id"])
        message = store.load_message(conn, system_message_id) if system_message_id else None
        asked = csat.on_staff_close(ctx, conn, staff.tenant_id, row["id"]) if message else None
        return load_for_publish(conn, staff.tenant_id, row["id"]), message, asked

    conversation, message, asked = await ctx.db.write(write, retry=True)
    if message is not None:
        announce(ctx, message, conversation)
    announce_update(ctx, conversation, tell_visitor=changes.get("status") in ("open", "closed"))
    csat.announce_asked(ctx, asked)
    if "assignee_id" in changes:
        ctx.wake_jobs()
    await assign.changed(ctx, conversation, before.get("status"))
    return conversation


async def close_for_visitor(ctx: AppContext, tenant_id: int, visitor_id: str) -> dict[str, Any] | None:
    """The visitor ended the chat; None when there was nothing open."""

    def write(conn: sqlite3.Connection) -> tuple[dict[str, Any], dict[str, Any]] | None:
        contact = store.find_contact(conn, tenant_id, "webchat", visitor_id)
        found = people.open_conversation_for(conn, contact) if contact else None  # the person's thread
        row = store.conversation_of_tenant(conn, tenant_id, found["id"], lock=True) if found else None
        if row is None or row["status"] != "open":
            return None
        message_id = close_row(conn, row, texts.for_tenant(conn, tenant_id, "closed"))
        record_event(
            conn,
            tenant_id,
            "conversation.closed",
            actor_type="visitor",
            actor_id=visitor_id,
            target_type="conversation",
            target_id=row["id"],
        )
        message = store.load_message(conn, message_id)
        assert message is not None
        return load_for_publish(conn, tenant_id, row["id"]), message

    outcome = await ctx.db.write(write, retry=True)
    if outcome is None:
        return None
    conversation, message = outcome
    announce(ctx, message, conversation)
    announce_update(ctx, conversation)
    await assign.changed(ctx, conversation)
    return conversation
