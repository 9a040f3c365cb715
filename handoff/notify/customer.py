"""Emails to customers: a conversation's transcript, a staff reply to a web visitor who has gone away, the
answer to a follow-up. Each is queued inside the caller's write. Private notes are never read here: the
transcript comes from `store.transcripts`, which leaves them out."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from handoff.context import AppContext
from handoff.notify import mail
from handoff.store import tenants
from handoff.store.database import iso
from handoff.store.transcripts import public_messages

AWAY_SECONDS = 300.0


def _business(conn: sqlite3.Connection, tenant_id: int) -> str:
    tenant = tenants.get(conn, tenant_id)
    return tenant.name if tenant else "Support"


def queue_transcript(conn: sqlite3.Connection, tenant_id: int, conversation_id: int, to: str) -> int:
    """The conversation's transcript to `to`, as the customer saw it."""
    business = _business(conn, tenant_id)
    context = {"business": business, "messages": public_messages(conn, conversation_id)}
    return mail.queue_email(
        conn, tenant_id, to, f"Your conversation with {business}", "transcript", context, from_name=business
    )


def queue_reply(
    conn: sqlite3.Connection, tenant_id: int, to: str, *, name: str, agent: str, text: str, original: str = ""
) -> int:
    """A staff member's words to a customer by email (a follow-up's answer, a reply the visitor missed)."""
    business = _business(conn, tenant_id)
    context = {"business": business, "name": name, "agent": agent, "text": text, "original": original}
    subject = f"Re: your message to {business}" if original else f"New reply from {business}"
    return mail.queue_email(conn, tenant_id, to, subject, "reply", context, from_name=business)


def visitor_away(ctx: AppContext, contact: sqlite3.Row, now: datetime | None = None) -> bool:
    """A web visitor with no socket open here, last seen over 5 minutes ago: their last message or session,
    or, with several processes, the last time another process holding their socket marked them seen
    (conversations/timers.mark_connected_visitors_seen)."""
    if ctx.hub.visitor_connected(contact["tenant_id"], contact["external_id"]):
        return False
    cutoff = iso((now or datetime.now(UTC)) - timedelta(seconds=AWAY_SECONDS))
    return bool(contact["last_seen_at"] < cutoff)


def queue_if_away(ctx: AppContext, conn: sqlite3.Connection, contact: sqlite3.Row, *, agent: str, text: str) -> bool:
    """On a web chat reply's path: email it too when the visitor left an email and has gone away."""
    if not mail.configured(ctx) or not contact["email"] or not text or not visitor_away(ctx, contact):
        return False
    name = contact["name"] or ""
    queue_reply(conn, contact["tenant_id"], contact["email"], name=name, agent=agent, text=text)
    return True
