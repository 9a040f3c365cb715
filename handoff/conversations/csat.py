"""Customer satisfaction: asking for a rating when staff close a conversation, and taking the answer.

Web chat: the visitor's sockets get a `csat` event and the widget shows its rating prompt; the answer comes
back on `POST /api/v1/widget/csat`. SMS and Messenger: the question is a system message sent through the
durable outbox (never to a contact who replied STOP, never outside Messenger's window: the adapter's
`send_problem` decides), and a reply that is a rating (`parse_rating`) within 24 hours is the rating,
answered with a short thanks, not a new conversation. Conversations closed by the idle timer, the visitor or
a merge are not surveyed: only `on_staff_close` asks.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from handoff.context import AppContext
from handoff.conversations.service import announce, announce_update, load_for_publish
from handoff.errors import Conflict, NotFound
from handoff.live import events
from handoff.store import contacts, tenants, webhook_queue
from handoff.store import conversations as store
from handoff.store import csat as surveys
from handoff.store import outbox as outbox_store
from handoff.store.audit import record_event
from handoff.store.database import iso, now_iso, parse_iso

QUESTION = "How would you rate our help today? Reply with a number from 1 (poor) to 5 (excellent)."
THANKS = "Thank you for your rating!"
REPLY_WINDOW = timedelta(hours=24)
# "4", " 4 ", "4/5", "4 / 5", "4 out of 5", "4 stars", "4." and "4!" (any case): a bare digit 1-5 with at most
# one of those tails. Anything else ("4 but slow", "45", "0") is an ordinary message.
RATING = re.compile(r"^\s*([1-5])\s*(?:/\s*5|out\s+of\s+5|stars?)?\s*[.!]?\s*$", re.IGNORECASE)


def parse_rating(text: str) -> int | None:
    """The rating a customer's reply gives, or None when the reply is not a rating (see RATING)."""
    match = RATING.match(text) if len(text) <= 40 else None
    return int(match.group(1)) if match else None


@dataclass
class Asked:
    """What a staff close started, announced once the write has committed."""

    conversation: dict[str, Any]
    visitor: str | None = None  # web chat: the visitor id the widget prompt goes to
    messages: list[dict[str, Any]] = field(default_factory=list)  # SMS/Messenger: the question, queued


def enabled(conn: sqlite3.Connection, tenant_id: int) -> bool:
    tenant = tenants.get(conn, tenant_id)
    return bool(tenant and tenant.settings.get("csat"))


def _queue(ctx: AppContext, conn: sqlite3.Connection, row: sqlite3.Row, text: str) -> dict[str, Any] | None:
    """A system message to the customer through the outbox, or None when the channel may not send now."""
    channel = ctx.channels.get(row["channel"])
    contact = store.contact_by_id(conn, row["contact_id"])
    if channel is None or channel.send_problem(ctx, conn, contact, row) is not None:
        return None
    if row["channel"] == "messenger" and not _in_standard_window(conn, contact["id"]):
        return None  # the HUMAN_AGENT tag that stretches the window to 7 days is for people, not surveys
    message = store.insert_message(conn, row, "system", text, status="queued").message
    outbox_store.enqueue(conn, row["tenant_id"], message["id"], row["channel"], now_iso())
    return message


def _in_standard_window(conn: sqlite3.Connection, contact_id: int) -> bool:
    last = contacts.last_customer_message_at(conn, contact_id)
    return last is not None and datetime.now(UTC) - parse_iso(last) <= REPLY_WINDOW


def on_staff_close(ctx: AppContext, conn: sqlite3.Connection, tenant_id: int, conversation_id: int) -> Asked | None:
    """Inside the write that closed the conversation: ask for a rating when the tenant surveys; None when not
    asked (setting off, already surveyed, or the channel may not message the customer now)."""
    if not enabled(conn, tenant_id):
        return None
    row = store.conversation_of_tenant(conn, tenant_id, conversation_id)
    if row is None or surveys.survey(conn, tenant_id, conversation_id) is not None:
        return None
    if row["channel"] == "webchat":
        surveys.ask(conn, row, row["assignee_id"], now_iso())
        contact = store.contact_by_id(conn, row["contact_id"])
        return Asked(load_for_publish(conn, tenant_id, conversation_id), visitor=contact["external_id"])
    question = _queue(ctx, conn, row, QUESTION)
    if question is None:
        return None
    surveys.ask(conn, row, row["assignee_id"], now_iso())
    return Asked(load_for_publish(conn, tenant_id, conversation_id), messages=[question])


def announce_asked(ctx: AppContext, asked: Asked | None) -> None:
    """After the commit: the widget prompt, or the queued question to staff and the outbox."""
    if asked is None:
        return
    tenant_id = asked.conversation["tenant_id"]
    if asked.visitor is not None:
        ctx.hub.publish(tenant_id, events.csat(asked.conversation["id"]), staff=False, visitor=asked.visitor)
    for message in asked.messages:
        announce(ctx, message, asked.conversation)
    if asked.messages:
        ctx.wake_outbox()


def store_rating(
    conn: sqlite3.Connection, tenant_id: int, conversation_id: int, rating: int, comment: str | None, actor: str
) -> None:
    """Store the one rating of a surveyed conversation (404: never surveyed; 409: rated already) and audit it."""
    if surveys.survey(conn, tenant_id, conversation_id) is None:
        raise NotFound("this conversation has no satisfaction survey")
    if not surveys.rate(conn, tenant_id, conversation_id, rating, comment, now_iso()):
        raise Conflict("this conversation has already been rated")
    record_event(
        conn,
        tenant_id,
        "csat.submitted",
        actor_type="visitor",
        actor_id=actor,
        target_type="conversation",
        target_id=conversation_id,
        detail={"rating": rating},
    )

    def payload() -> dict[str, Any]:
        row = surveys.survey(conn, tenant_id, conversation_id)
        assert row is not None
        return {
            "csat": {
                "conversation_id": conversation_id,
                "channel": row["channel"],
                "agent_id": row["agent_id"],
                "rating": rating,
                "comment": comment,
                "rated_at": row["rated_at"],
            }
        }

    # In the rating's own transaction; announce_update (which every caller runs next) wakes the delivery.
    webhook_queue.queue_event(conn, tenant_id, "csat.submitted", payload, conversation_id)


async def rate_from_widget(
    ctx: AppContext, tenant_id: int, visitor_id: str, conversation_id: int, rating: int, comment: str | None
) -> dict[str, Any]:
    """The web visitor rates one of their own conversations."""

    def write(conn: sqlite3.Connection) -> dict[str, Any]:
        contact = store.find_contact(conn, tenant_id, "webchat", visitor_id)
        row = store.conversation_of_tenant(conn, tenant_id, conversation_id)
        if contact is None or row is None or row["contact_id"] != contact["id"]:
            raise NotFound("conversation not found")
        store_rating(conn, tenant_id, conversation_id, rating, comment, visitor_id)
        return load_for_publish(conn, tenant_id, conversation_id)

    conversation = await ctx.db.write(write)
    announce_update(ctx, conversation, tell_visitor=False)
    return {"conversation_id": conversation_id, "rating": rating}


async def take_reply(ctx: AppContext, tenant_id: int, channel: str, sender: str, text: str, external_id: str) -> bool:
    """An SMS or Messenger reply: True when it was taken as the rating of the contact's survey (or is a
    retry of one that was), False when it is an ordinary message for `conversations.receive`."""
    rating = parse_rating(text)
    if rating is None:
        return False  # the common case costs no query

    def write(conn: sqlite3.Connection) -> tuple[bool, dict[str, Any] | None, list[dict[str, Any]]]:
        contact = store.find_contact(conn, tenant_id, channel, sender)
        if contact is None:
            return False, None, []
        if store.find_by_external_id(conn, tenant_id, channel, external_id) is not None:
            return True, None, []  # a webhook retry of a reply already stored
        if store.open_conversation_of(conn, contact["id"]) is not None:
            return False, None, []  # a conversation is going on: the digit belongs to it
        since = iso(datetime.now(UTC) - REPLY_WINDOW)
        pending = surveys.pending_for_contact(conn, contact["id"], since)
        if pending is None:
            return False, None, []
        try:
            store_rating(conn, tenant_id, pending["conversation_id"], rating, None, f"contact:{contact['id']}")
        except Conflict:  # another process took a rating for it a moment ago: this one is a message
            return False, None, []
        row = store.conversation_by_id(conn, pending["conversation_id"])
        reply = store.insert_message(conn, row, "visitor", text, external_id=external_id).message
        # The reply is part of the closed conversation's record, not a customer waiting for an answer.
        surveys.restore_awaiting(conn, row["id"], row["awaiting_since"])
        messages = [reply]
        thanks = _queue(ctx, conn, store.conversation_by_id(conn, row["id"]), THANKS)
        if thanks is not None:
            messages.append(thanks)
        return True, load_for_publish(conn, tenant_id, row["id"]), messages

    taken, conversation, messages = await ctx.db.write(write, retry=True)
    if conversation is not None:
        for message in messages:
            announce(ctx, message, conversation)
        announce_update(ctx, conversation, tell_visitor=False)
        if len(messages) > 1:
            ctx.wake_outbox()
    return taken
