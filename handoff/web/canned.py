"""Saved replies (canned responses): any staff member lists and renders them; admins manage them."""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field, field_validator

from handoff.context import Ctx
from handoff.errors import NotFound
from handoff.replies import templating
from handoff.store import canned as store
from handoff.store.audit import staff_event
from handoff.store.database import IntegrityError
from handoff.web.deps import AdminOnly, CurrentStaff
from handoff.web.params import Id, IdPath
from handoff.web.schemas import error_responses

router = APIRouter(prefix="/api/v1/canned-responses", tags=["saved replies"])
SHORTCUT_TAKEN = "another saved reply already uses this shortcut"
SHORTCUT = r"^[a-z0-9][a-z0-9_-]{0,31}$"
TEXT_DOC = (
    "a template: {{ contact.name }}, {{ contact.email }}, {{ contact.phone }}, {{ agent.name }}, {{ tenant.name }},"
    " {% if %}...{% endif %}; unknown names render empty"
)


def _shortcut(value: str) -> str:
    return value.strip().lstrip("/").lower()


class CannedResponse(BaseModel):
    id: int
    shortcut: str
    title: str | None
    text: str
    created_at: str
    updated_at: str


class CannedResponseList(BaseModel):
    canned_responses: list[CannedResponse]


class NewCannedResponse(BaseModel):
    shortcut: str = Field(pattern=SHORTCUT, description="typed after / in the composer; unique in the tenant")
    title: str | None = Field(default=None, max_length=120)
    text: str = Field(min_length=1, max_length=templating.MAX_RENDERED, description=TEXT_DOC)

    _normalise = field_validator("shortcut", mode="before")(lambda v: _shortcut(v) if isinstance(v, str) else v)


class CannedResponsePatch(BaseModel):
    shortcut: str | None = Field(default=None, pattern=SHORTCUT)
    title: str | None = Field(default=None, max_length=120)
    text: str | None = Field(default=None, min_length=1, max_length=templating.MAX_RENDERED)

    _normalise = field_validator("shortcut", mode="before")(lambda v: _shortcut(v) if isinstance(v, str) else v)


class RenderBody(BaseModel):
    conversation_id: Id


class Rendered(BaseModel):
    text: str


@router.get("", response_model=CannedResponseList)
async def list_canned(
    ctx: Ctx, staff: CurrentStaff, q: Annotated[str | None, Query(max_length=100)] = None
) -> dict[str, Any]:
    """The tenant's saved replies by shortcut; `q` filters (shortcut prefix, or part of the title or text)."""
    query = _shortcut(q) if q else None
    replies = await ctx.db.read(partial(store.list_replies, tenant_id=staff.tenant_id, q=query or None))
    return {"canned_responses": replies}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CannedResponse, responses=error_responses(409))
async def create_canned(body: NewCannedResponse, ctx: Ctx, admin: AdminOnly) -> dict[str, Any]:
    """Save a reply; 422 when its text is not a template saved replies allow, 409 when the shortcut is taken."""
    templating.check(body.text)
    title = body.title.strip() if body.title and body.title.strip() else None

    def write(conn: sqlite3.Connection) -> dict[str, Any]:
        created = store.insert_reply(conn, admin.tenant_id, body.shortcut, title, body.text)
        staff_event(
            conn, admin, "canned_response.created", "canned_response", created["id"], {"shortcut": body.shortcut}
        )
        return created

    try:
        return await ctx.db.write(write)
    except IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, SHORTCUT_TAKEN) from None


@router.patch("/{reply_id}", response_model=CannedResponse, responses=error_responses(404, 409))
async def update_canned(reply_id: IdPath, body: CannedResponsePatch, ctx: Ctx, admin: AdminOnly) -> dict[str, Any]:
    """Change a saved reply's shortcut, title (null clears it) or text."""
    changes = body.model_dump(exclude_unset=True)
    for key in ("shortcut", "text"):
        if key in changes and changes[key] is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"{key} may not be null")
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip() or None
    if not changes:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "nothing to change: give shortcut, title or text")
    if "text" in changes:
        templating.check(changes["text"])

    def write(conn: sqlite3.Connection) -> dict[str, Any] | None:
        updated = store.update_reply(conn, admin.tenant_id, reply_id, changes)
        if updated is not None:
            staff_event(
                conn, admin, "canned_response.updated", "canned_response", reply_id, {"changed": sorted(changes)}
            )
        return updated

    try:
        updated = await ctx.db.write(write)
    except IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, SHORTCUT_TAKEN) from None
    if updated is None:
        raise NotFound("saved reply not found")
    return updated


@router.delete("/{reply_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(404))
async def delete_canned(reply_id: IdPath, ctx: Ctx, admin: AdminOnly) -> None:
    def write(conn: sqlite3.Connection) -> bool:
        deleted = store.delete_reply(conn, admin.tenant_id, reply_id)
        if deleted:
            staff_event(conn, admin, "canned_response.deleted", "canned_response", reply_id, {})
        return deleted

    if not await ctx.db.write(write):
        raise NotFound("saved reply not found")


@router.post("/{reply_id}/render", response_model=Rendered, responses=error_responses(404))
async def render_canned(reply_id: IdPath, body: RenderBody, ctx: Ctx, staff: CurrentStaff) -> dict[str, str]:
    """The reply's text filled in for a conversation: its contact, the caller (agent) and the tenant."""

    def read(conn: sqlite3.Connection) -> tuple[dict[str, Any] | None, dict[str, str | None] | None]:
        return store.get_reply(conn, staff.tenant_id, reply_id), store.render_values(
            conn, staff.tenant_id, body.conversation_id
        )

    reply, values = await ctx.db.read(read)
    if reply is None:
        raise NotFound("saved reply not found")
    if values is None:
        raise NotFound("conversation not found")
    variables = templating.context(
        {
            "contact": {k: values[k] for k in ("name", "email", "phone")},
            "agent": {"name": staff.name},
            "tenant": {"name": values["tenant_name"]},
        }
    )
    return {"text": templating.render(reply["text"], variables)}
