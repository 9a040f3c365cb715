"""The staff inbox over HTTP: list, read, reply, assign/close/tag. Every query is scoped to the caller's tenant."""

from __future__ import annotations

import re
from functools import partial
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator, model_validator

from handoff.context import AppContext, Ctx
from handoff.conversations import service as conversations
from handoff.conversations.notes import staff_note
from handoff.errors import Invalid, NotFound
from handoff.identity import Staff, staff_from_token, unauthorized
from handoff.store import conversations as store
from handoff.store import inbox
from handoff.store.inbox import InboxFilter
from handoff.web.deps import CurrentStaff
from handoff.web.hotpath import bearer_token, body_doc, parse_body
from handoff.web.params import AfterQuery, BeforeQuery, Id, IdPath, id_in_text
from handoff.web.schemas import Conversation, ConversationPage, MessagePage, SentMessage

router = APIRouter(prefix="/admin/api", tags=["inbox"])
CURSOR = re.compile(r"^(\d{4}-\d\d-\d\dT[\d:.]+Z)_(\d+)$")


class SendBody(BaseModel):
    conversation_id: Id
    text: str = Field(min_length=1, max_length=4000)
    client_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    private: bool = Field(default=False, description="a note only staff see: never sent to the customer")
    mentions: list[Id] | None = Field(
        default=None, max_length=20, description="user ids of active teammates a private note mentions"
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise ValueError("text must not be blank")
        if "\x00" in text:  # reaches here from the staff socket, whose frames skip web/text_guard.py
            raise ValueError("text may not contain NUL characters")
        return text

    @model_validator(mode="after")
    def _mentions_in_notes(self) -> SendBody:
        if self.mentions and not self.private:
            raise ValueError("mentions are only for private notes (private: true)")
        return self


async def send_message(ctx: AppContext, staff: Staff, body: SendBody) -> conversations.Stored:
    """A reply to the customer, or a private note to the team (HTTP and socket share this)."""
    if body.private:
        return await staff_note(ctx, staff, body.conversation_id, body.text, body.client_id, body.mentions)
    return await conversations.staff_send(ctx, staff, body.conversation_id, body.text, body.client_id)


class ConversationPatch(BaseModel):
    status: Literal["open", "closed"] | None = None
    assignee_id: Id | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=32)]] | None = Field(default=None, max_length=20)


@router.get("/convos", response_model=ConversationPage, response_model_exclude_unset=True)
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
    assignee_id = None
    if assignee and assignee not in ("me", "unassigned") and (assignee_id := id_in_text(assignee)) is None:
        raise Invalid("assignee must be me, unassigned or a user id")
    cursor = None
    if before:
        match = CURSOR.match(before)
        cursor_id = id_in_text(match.group(2)) if match else None
        if match is None or cursor_id is None:
            raise Invalid("before must be a next_before value from a previous page")
        cursor = (match.group(1), cursor_id)
    wanted = InboxFilter(
        statuses=("open", "closed") if status == "all" else (status,),
        channel=channel,
        assignee_id=staff.id if assignee == "me" else assignee_id,
        unassigned=assignee == "unassigned",
        contact_text=q.strip() if q and q.strip() else None,
        before=cursor,
    )
    items = await ctx.db.read(partial(inbox.conversation_page, tenant_id=staff.tenant_id, wanted=wanted, limit=limit))
    last = items[-1] if len(items) == limit else None
    return {"conversations": items, "next_before": f"{last['last_message_at']}_{last['id']}" if last else None}


@router.get("/conversations/{conversation_id}", response_model=Conversation, response_model_exclude_unset=True)
async def get_conversation(conversation_id: IdPath, staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """One conversation with its contact, assignee and unread count."""
    conversation = await ctx.db.read(lambda c: store.load_conversation(c, staff.tenant_id, conversation_id))
    if conversation is None:
        raise NotFound("conversation not found")
    return conversation


@router.get("/conversations/{conversation_id}/messages", response_model=MessagePage, response_model_exclude_unset=True)
async def conversation_messages(
    conversation_id: IdPath,
    staff: CurrentStaff,
    ctx: Ctx,
    after: AfterQuery = None,
    before: BeforeQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Messages oldest first: after an id (catch-up), before an id (older page), or the latest page."""
    read = partial(
        inbox.message_page,
        tenant_id=staff.tenant_id,
        conversation_id=conversation_id,
        after=after,
        before=before,
        limit=limit,
    )
    messages = await ctx.db.read(read)
    if messages is None:
        raise NotFound("conversation not found")
    return {"messages": messages}


@router.post("/send", openapi_extra=body_doc(SendBody), response_model=SentMessage)
async def send(request: Request) -> Response:
    """Reply on the conversation's own channel (web chat, SMS or Messenger): `{message_id, message}`. With
    `private: true`, a note only staff see (and `mentions` notify those teammates)."""
    ctx: AppContext = request.app.state.ctx
    token = bearer_token(request)
    if token is None:
        raise unauthorized()
    staff = await staff_from_token(ctx, token)
    body = await parse_body(request, SendBody)
    stored = await send_message(ctx, staff, body)
    return Response(
        orjson.dumps({"message_id": stored.message["id"], "message": stored.message}), media_type="application/json"
    )


@router.patch("/conversations/{conversation_id}", response_model=Conversation, response_model_exclude_unset=True)
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
