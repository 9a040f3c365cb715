"""Web chat: what the widget's endpoints and the visitor socket share on their way into the conversation
path. A visitor's message is checked (text, client id), rate limited and handed to `conversations.receive`
as one `Inbound` (contact = the visitor id); replies reach the visitor through the hub. The routes are in
`handoff/web/widget.py` and `handoff/web/visitor_socket.py`."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from handoff.context import AppContext
from handoff.conversations import service as conversations
from handoff.errors import Invalid, RateLimited
from handoff.identity import Visitor
from handoff.live.sockets import Socket
from handoff.quotas import report
from handoff.store import conversations as store
from handoff.store import people
from handoff.store.database import MAX_INTEGER

CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


MAX_ATTACHMENTS = 10


def checked_text(ctx: AppContext, text: Any, *, may_be_empty: bool = False) -> str:
    if may_be_empty and text in (None, ""):
        return ""  # a message of attachments alone
    if not isinstance(text, str) or not text.strip():
        raise Invalid("text must be a non-empty string")
    if len(text) > ctx.settings.max_text_length:
        raise Invalid(f"text is longer than {ctx.settings.max_text_length} characters")
    if "\x00" in text:  # PostgreSQL's text cannot hold it; HTTP bodies are refused earlier (web/text_guard.py)
        raise Invalid("text may not contain NUL characters")
    return text


def checked_client_id(client_id: Any) -> str | None:
    if client_id is None:
        return None
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise Invalid("client_id must be 1-64 letters, digits or -_.:")
    return client_id


def checked_attachment_ids(ids: Any) -> tuple[int, ...]:
    """Upload ids from a socket frame or `/webchat` (a socket frame has no schema to check them)."""
    if ids is None:
        return ()
    valid = isinstance(ids, list) and all(type(i) is int and 1 <= i <= MAX_INTEGER for i in ids)
    if not valid or len(ids) > MAX_ATTACHMENTS:
        raise Invalid(f"attachment_ids must be a list of at most {MAX_ATTACHMENTS} upload ids")
    return tuple(ids)


async def visitor_says(
    ctx: AppContext,
    visitor: Visitor,
    text: Any,
    client_id: Any,
    origin: Socket | None = None,
    attachment_ids: Any = None,
) -> conversations.Stored:
    """A visitor's message from the socket or `/webchat`: validated, rate limited, stored once. With
    attachments (the visitor's own uploads) the text may be empty."""
    ids = checked_attachment_ids(attachment_ids)
    text, client_id = checked_text(ctx, text, may_be_empty=bool(ids)), checked_client_id(client_id)
    quota = report(await ctx.limits.visitor_messages.take(f"{visitor.tenant_id}:{visitor.visitor_id}"))
    if not quota.allowed:
        raise RateLimited("too many messages; slow down")
    return await conversations.receive(
        ctx,
        conversations.Inbound(
            tenant_id=visitor.tenant_id,
            channel="webchat",
            contact_key=visitor.visitor_id,
            text=text,
            client_id=client_id,
            attachment_ids=ids,
            external_id=f"{visitor.visitor_id}:{client_id}" if client_id else None,
        ),
        origin,
    )


def conversation_state(conn: sqlite3.Connection, tenant_id: int, visitor_id: str) -> dict[str, Any] | None:
    contact = store.find_contact(conn, tenant_id, "webchat", visitor_id)
    row = people.thread_for_visitor(conn, contact) if contact else None
    return {"id": row["id"], "status": row["status"], "escalated": bool(row["escalated"])} if row else None
