"""The tenant's list of tags: any staff member lists and adds, admins delete (from every conversation too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field

from handoff.context import Ctx
from handoff.conversations import workspace
from handoff.errors import Invalid
from handoff.store import tags as tag_list
from handoff.web.deps import AdminOnly, CurrentStaff
from handoff.web.schemas import error_responses

router = APIRouter(prefix="/api/v1/tags", tags=["tags"])


class TagList(BaseModel):
    tags: list[str] = Field(description="the tenant's tags, sorted")


class NewTag(BaseModel):
    name: str = Field(min_length=1, max_length=32)


def tag_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise Invalid("name must not be blank")
    return cleaned


@router.get("", response_model=TagList)
async def list_tags(staff: CurrentStaff, ctx: Ctx) -> dict[str, list[str]]:
    """The tenant's tags (those set on a conversation join the list)."""
    return {"tags": await ctx.db.read(lambda conn: tag_list.list_tags(conn, staff.tenant_id))}


@router.post("", response_model=TagList, status_code=201, responses=error_responses(409))
async def add_tag(body: NewTag, staff: CurrentStaff, ctx: Ctx) -> dict[str, list[str]]:
    """Add a tag to the list; 409 when it is there already. Answers with the whole list."""
    return {"tags": await workspace.add_tag(ctx, staff, tag_name(body.name))}


# `:path`: a tag may hold a "/" (sent as %2F), which the default converter would not match.
@router.delete("/{name:path}", status_code=204, responses=error_responses(403, 404))
async def delete_tag(name: Annotated[str, Path(min_length=1, max_length=32)], staff: AdminOnly, ctx: Ctx) -> Response:
    """Admins: remove a tag from the list and from every conversation of the tenant."""
    await workspace.delete_tag(ctx, staff, tag_name(name))
    return Response(status_code=204)
