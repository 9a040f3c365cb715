"""The staff inbox over HTTP: list, read, reply, assign/close/tag. Every query is scoped to the caller's tenant."""

from __future__ import annotations

import re
import sqlite3
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator

from auth import CurrentStaff, staff_from_token, unauthorized
from handoff.context import AppContext, Ctx
from handoff.conversations import service as conversations
from handoff.errors import Invalid, NotFound
from handoff.store import conversations as store
from handoff.web.hotpath import bearer_token, body_doc, parse_body
from handoff.web.params import AfterQuery, BeforeQuery, Id, IdPath, id_in_text

router = APIRouter(prefix="/admin/api", tags=["inbox"])
CURSOR = re.compile(r"^(\d{4}-\d\d-\d\dT[\d:.]+Z)_(\d+)$")


class SendBody(BaseModel):
    conversation_id: Id
    text: str = Field(min_length=1, max_length=4000)
    client_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("text must not be blank")
        return text


class ConversationPatch(BaseModel):
    status: Literal["open", "closed"] | None = None
    assignee_id: Id | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=32)]] | None = Field(default=None, max_length=20)


@router.get("/convos")
async def list_conversations(
    staff: CurrentStaff,
    ctx: Ctx,
    status: Literal["open", "closed", "all"] = "open",
    assignee: Annotated[str | None, Query(pattern=r"^(me|unassigned|\d+)$")] = None,
    channel: Literal["webchat", "sms", "messenger"] | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Conversations, most recent activity first, with keyset pagination (`next_before`)."""
    where: list[str] = ["c.tenant_id = ?"]
    params: list[Any] = [staff.tenant_id]
    if channel:
        where.append("c.channel = ?")
        params.append(channel)
    if assignee == "me":
        where.append("c.assignee_id = ?")
        params.append(staff.id)
    elif assignee == "unassigned":
        where.append("c.assignee_id IS NULL")
    elif assignee:
        if (assignee_id := id_in_text(assignee)) is None:
            raise Invalid("assignee must be me, unassigned or a user id")
        where.append("c.assignee_id = ?")
        params.append(assignee_id)
    if q and q.strip():
        like = "%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append("(ct.name LIKE ? ESCAPE '\\' OR ct.email LIKE ? ESCAPE '\\' OR ct.phone LIKE ? ESCAPE '\\')")
        params += [like, like, like]
    if before:
        match = CURSOR.match(before)
        cursor_id = id_in_text(match.group(2)) if match else None
        if match is None or cursor_id is None:
            raise Invalid("before must be a next_before value from a previous page")
        where.append("(c.last_message_at, c.id) < (?, ?)")
        params += [match.group(1), cursor_id]
    # The status is spelled out (not bound) so SQLite can use the partial index of open or closed ones;
    # "all" merges one page of each, which keeps the per-message index work to a single index.
    statuses = ("open", "closed") if status == "all" else (status,)
    queries = [
        f"{store.CONVERSATION_SELECT} WHERE c.status = '{state}' AND {' AND '.join(where)}"
        " ORDER BY c.last_message_at DESC, c.id DESC LIMIT ?"
        for state in statuses
    ]

    def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
        rows = [row for sql in queries for row in conn.execute(sql, (*params, limit))]
        rows.sort(key=lambda r: (r["last_message_at"], r["id"]), reverse=True)
        return store.conversations_json(conn, rows[:limit])

    items = await ctx.db.read(read)
    last = items[-1] if len(items) == limit else None
    return {"conversations": items, "next_before": f"{last['last_message_at']}_{last['id']}" if last else None}


@router.get("/conversations/{conversation_id}")
async def get_conversation(conversation_id: IdPath, staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """One conversation with its contact, assignee and unread count."""
    conversation = await ctx.db.read(lambda c: store.load_conversation(c, staff.tenant_id, conversation_id))
    if conversation is None:
        raise NotFound("conversation not found")
    return conversation


@router.get("/conversations/{conversation_id}/messages")
async def conversation_messages(
    conversation_id: IdPath,
    staff: CurrentStaff,
    ctx: Ctx,
    after: AfterQuery = None,
    before: BeforeQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Messages oldest first: after an id (catch-up), before an id (older page), or the latest page."""

    def read(conn: sqlite3.Connection) -> list[dict[str, Any]] | None:
        owner = conn.execute(
            "SELECT 1 FROM conversations WHERE id = ? AND tenant_id = ?", (conversation_id, staff.tenant_id)
        )
        if owner.fetchone() is None:
            return None
        if after is not None:
            sql, args = "m.id > ? ORDER BY m.id", [after]
        else:
            sql, args = "m.id < ? ORDER BY m.id DESC", [before or 2**62]
        rows = conn.execute(
            f"{store.MESSAGE_SELECT} WHERE m.conversation_id = ? AND {sql} LIMIT ?", (conversation_id, *args, limit)
        ).fetchall()
        messages = [store.message_json(r) for r in rows]
        return messages if after is not None else messages[::-1]

    messages = await ctx.db.read(read)
    if messages is None:
        raise NotFound("conversation not found")
    return {"messages": messages}


@router.post("/send", openapi_extra=body_doc(SendBody))
async def send(request: Request) -> Response:
    """Reply on the conversation's own channel (web chat, SMS or Messenger): `{message_id, message}`."""
    ctx: AppContext = request.app.state.ctx
    token = bearer_token(request)
    if token is None:
        raise unauthorized()
    staff = await staff_from_token(ctx, token)
    body = await parse_body(request, SendBody)
    stored = await conversations.staff_send(ctx, staff, body.conversation_id, body.text, body.client_id)
    return Response(
        orjson.dumps({"message_id": stored.message["id"], "message": stored.message}), media_type="application/json"
    )


@router.patch("/conversations/{conversation_id}")
async def update_conversation(
    conversation_id: IdPath, body: ConversationPatch, staff: CurrentStaff, ctx: Ctx
) -> dict[str, Any]:
    """Close or reopen, assign or unassign (`assignee_id: null`), and tag a conversation."""
    changes = body.model_dump(exclude_unset=True)
    if changes.get("status") is None:
        changes.pop("status", None)
    if "tags" in changes:
        if changes["tags"] is None:
            raise Invalid("tags must be a list")
        changes["tags"] = sorted({t.strip() for t in changes["tags"] if t.strip()})
    if not changes:
        raise Invalid("nothing to change: give status, assignee_id or tags")
    return await conversations.update(ctx, staff, conversation_id, changes)
