"""Contacts (people) for staff: search and page them, see one with its conversations on every channel,
edit its details, merge another person into it."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from handoff.context import Ctx
from handoff.conversations import people as service
from handoff.store import people as store
from handoff.web.deps import CurrentStaff
from handoff.web.params import BeforeQuery, Id, IdPath
from handoff.web.schemas import error_responses

router = APIRouter(prefix="/admin/api/contacts", tags=["contacts"])
Channel = Literal["webchat", "sms", "messenger"]


class Person(BaseModel):
    id: int
    channel: Channel = Field(description="the channel this contact first wrote on")
    external_id: str = Field(description="visitor id, phone number or Messenger user id")
    name: str | None
    email: str | None
    phone: str | None
    note: str | None
    opted_out: bool
    created_at: str
    last_seen_at: str
    verified: bool = Field(description="proved to be the host site's user `verified_user_id` (user_hash)")
    verified_user_id: str | None


class PersonPage(BaseModel):
    contacts: list[Person]
    next_before: int | None = Field(description="pass as `before` for the next page; null on the last one")


class Identity(BaseModel):
    id: int
    channel: Channel
    external_id: str
    opted_out: bool


class PersonConversation(BaseModel):
    id: int
    channel: Channel
    status: Literal["open", "closed"]
    created_at: str
    last_message_at: str
    contact_id: int = Field(description="the channel identity the conversation replies to")
    last_text: str | None


class PersonDetail(Person):
    identities: list[Identity] = Field(description="every channel address of this person, this contact's first")
    conversations: list[PersonConversation] = Field(description="newest first, on every channel (at most 200)")


class PersonPatch(BaseModel):
    name: str | None = Field(default=None, max_length=120)
    email: str | None = Field(default=None, max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(default=None, max_length=32, pattern=r"^$|^\+?[0-9 ()./-]{3,32}$")
    note: str | None = Field(default=None, max_length=4000)


class MergeBody(BaseModel):
    other_id: Id = Field(description="the contact merged into this one")


@router.get("", response_model=PersonPage)
async def list_contacts(
    ctx: Ctx,
    staff: CurrentStaff,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    before: BeforeQuery = None,
) -> dict[str, Any]:
    """People, newest first; `q` matches part of a name, email, phone or channel address."""
    query = q.strip() if q else None
    found = await ctx.db.read(
        partial(store.list_people, tenant_id=staff.tenant_id, q=query or None, limit=limit + 1, before=before)
    )
    more = len(found) > limit
    return {"contacts": found[:limit], "next_before": found[limit - 1]["id"] if more else None}


@router.get("/{contact_id}", response_model=PersonDetail, responses=error_responses(404))
async def get_contact(contact_id: IdPath, ctx: Ctx, staff: CurrentStaff) -> dict[str, Any]:
    person = await ctx.db.read(partial(store.get_person, tenant_id=staff.tenant_id, contact_id=contact_id))
    if person is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, service.CONTACT_NOT_FOUND)
    return person


@router.patch("/{contact_id}", response_model=PersonDetail, responses=error_responses(404))
async def update_contact(contact_id: IdPath, body: PersonPatch, ctx: Ctx, staff: CurrentStaff) -> dict[str, Any]:
    """Change name, email, phone or note; an empty string or null clears one."""
    changes = {key: (value or "").strip() or None for key, value in body.model_dump(exclude_unset=True).items()}
    if not changes:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "nothing to change: give name, email, phone or note")
    return await service.update(ctx, staff, contact_id, changes)


@router.post("/{contact_id}/merge", response_model=PersonDetail, responses=error_responses(404, 422))
async def merge_contact(contact_id: IdPath, body: MergeBody, ctx: Ctx, staff: CurrentStaff) -> dict[str, Any]:
    """Merge `other_id` into this contact: its conversations and channel addresses become this contact's, and
    its next message lands in this contact's open conversation. When both had one open, the other's closes."""
    return await service.merge(ctx, staff, contact_id, body.other_id)
