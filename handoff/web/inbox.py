"""The staff inbox over HTTP: list, read, reply, assign/close/snooze/tag, bulk changes. Every query is scoped to the caller's tenant."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, Field, field_validator, model_validator

from handoff.context import AppContext, Ctx
from handoff.conversations import service as conversations
from handoff.conversations import workspace
from handoff.conversations.notes import staff_note
from handoff.conversations.workspace import BulkChange
from handoff.errors import Invalid, NotFound
from handoff.identity import Staff, staff_from_token, unauthorized
from handoff.store import conversations as store
from handoff.store import inbox
from handoff.store.database import iso
from handoff.store.inbox import InboxFilter
from handoff.web.deps import CurrentStaff
from handoff.web.hotpath import bearer_token, body_doc, parse_body
from handoff.web.params import AfterQuery, BeforeQuery, Id, IdPath, id_in_text
from handoff.web.schemas import Conversation, ConversationPage, MessagePage, SentMessage

router = APIRouter(prefix="/admin/api", tags=["inbox"])
CURSOR = re.compile(r"^(\d{4}-\d\d-\d\dT[\d:.]+Z)_(\d+)$")


class SendBody(BaseModel):
    conversation_id: Id
    text: str = Field(default="", max_length=4000, description="may be empty when attachment_ids are given")
    client_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    private: bool = Field(default=False, description="a note only staff see: never sent to the customer")
    mentions: list[Id] | None = Field(
        default=None, max_length=20, description="user ids of active teammates a private note mentions"
    )

    attachment_ids: list[Id] | None = Field(
        default=None,
        max_length=10,
        description="the sender's own uploads (POST /api/v1/uploads); on notes too (staff only)",
    )

    @field_validator("text")
    @classmethod
    def _no_nul(cls, text: str) -> str:
        if "\x00" in text:  # reaches here from the staff socket, whose frames skip web/text_guard.py
            raise ValueError("text may not contain NUL characters")
        return text

    @model_validator(mode="after")
    def _mentions_in_notes(self) -> SendBody:
        if not self.text.strip() and not self.attachment_ids:
            raise ValueError("text must not be blank")
        if self.mentions and not self.private:
            raise ValueError("mentions are only for private notes (private: true)")
        return self


async def send_message(ctx: AppContext, staff: Staff, body: SendBody) -> conversations.Stored:
    """A reply to the customer, or a private note to the team (HTTP and socket share this)."""
    if body.private:
        return await staff_note(
            ctx, staff, body.conversation_id, body.text, body.client_id, body.mentions, body.attachment_ids
        )
    return await conversations.staff_send(
        ctx, staff, body.conversation_id, body.text, body.client_id, body.attachment_ids
    )


TagName = Annotated[str, Field(min_length=1, max_length=32)]
MAX_SNOOZE = timedelta(days=366)


class ConversationPatch(BaseModel):
    status: Literal["open", "closed", "snoozed"] | None = None
    snoozed_until: AwareDatetime | None = Field(default=None, description="with status snoozed: when it reopens")
    assignee_id: Id | None = None
    tags: list[TagName] | None = Field(default=None, max_length=20)


class BulkBody(BaseModel):
    ids: list[Id] = Field(min_length=1, max_length=200)
    status: Literal["open", "closed"] | None = None
    assignee_id: Id | None = None
    add_tags: list[TagName] = Field(default=[], max_length=20)
    remove_tags: list[TagName] = Field(default=[], max_length=20)


class BulkResult(BaseModel):
    updated: int = Field(description="conversations of this tenant changed (other ids are skipped)")


def clean_tags(tags: list[str]) -> list[str]:
    """Stripped, without blanks or repeats, sorted: how conversations keep their tags."""
    return sorted({t.strip() for t in tags if t.strip()})


def snooze_time(status: str | None, until: datetime | None) -> str | None:
    """The stored snoozed_until for a change: required with status snoozed, refused without it."""
    if status != "snoozed":
        if until is not None:
            raise Invalid("snoozed_until goes with status snoozed")
        return None
    if until is None:
        raise Invalid("status snoozed needs snoozed_until")
    now = datetime.now(UTC)
    if until <= now:
        raise Invalid("snoozed_until must be in the future")
    if until > now + MAX_SNOOZE:
        raise Invalid("snoozed_until must be within a year")
    return iso(until)


@router.get("/convos", response_model=ConversationPage, response_model_exclude_unset=True)
async def list_conversations(
    staff: CurrentStaff,
    ctx: Ctx,
    status: Literal["open", "snoozed", "closed", "all"] = "open",
    assignee: Annotated[str | None, Query(pattern=r"^(me|none|unassigned|\d+)$")] = None,
    channel: Literal["webchat", "sms", "messenger"] | None = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Conversations, most recent activity first, with keyset pagination (`next_before`). `status=open` leaves
    snoozed ones out (`status=snoozed` lists them); `q` matches the contact's name, email and phone, and the
    messages of open conversations."""
    unassigned = assignee in ("none", "unassigned")
    assignee_id = None
    if assignee and assignee != "me" and not unassigned and (assignee_id := id_in_text(assignee)) is None:
        raise Invalid("assignee must be me, none or a user id")
    cursor = None
    if before:
        match = CURSOR.match(before)
        cursor_id = id_in_text(match.group(2)) if match else None
        if match is None or cursor_id is None:
            raise Invalid("before must be a next_before value from a previous page")
        cursor = (match.group(1), cursor_id)
    wanted = InboxFilter(
        statuses=("open", "snoozed", "closed") if status == "all" else (status,),
        channel=channel,
        assignee_id=staff.id if assignee == "me" else assignee_id,
        unassigned=unassigned,
        tag=tag.strip() if tag and tag.strip() else None,
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
    changes.pop("snoozed_until", None)
    if until := snooze_time(body.status, body.snoozed_until):
        changes["snoozed_until"] = until
    if "tags" in changes:
        if changes["tags"] is None:
            raise Invalid("tags must be a list")
        changes["tags"] = clean_tags(changes["tags"])
    if not changes:
        raise Invalid("nothing to change: give status, assignee_id or tags")
    return await conversations.update(ctx, staff, conversation_id, changes)


@router.post("/conversations/bulk", response_model=BulkResult)
async def bulk_update(body: BulkBody, staff: CurrentStaff, ctx: Ctx) -> dict[str, int]:
    """One change to many conversations (close or reopen, assign, add or remove tags); ids of another tenant
    are skipped. Each changed conversation is audited and announced (`conversation_updated`)."""
    given = body.model_fields_set
    if not (given & {"status", "assignee_id"} or body.add_tags or body.remove_tags):
        raise Invalid("nothing to change: give status, assignee_id, add_tags or remove_tags")
    if "status" in given and body.status is None:
        raise Invalid("status must be open or closed")
    change = BulkChange(
        ids=body.ids,
        status=body.status,
        assignee_id=body.assignee_id,
        set_assignee="assignee_id" in given,
        add_tags=tuple(clean_tags(body.add_tags)),
        remove_tags=tuple(clean_tags(body.remove_tags)),
    )
    return {"updated": await workspace.bulk_update(ctx, staff, change)}
