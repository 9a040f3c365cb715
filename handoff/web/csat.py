"""Customer satisfaction routes: the widget's rating (`POST /api/v1/widget/csat`, visitor token) and a
conversation's survey for staff. The survey itself is `handoff.conversations.csat`."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from handoff.context import Ctx
from handoff.conversations import csat
from handoff.errors import NotFound
from handoff.store import csat as surveys
from handoff.web.deps import CurrentStaff, CurrentVisitor, PublicRateLimit
from handoff.web.params import Id, IdPath
from handoff.web.schemas import error_responses

router = APIRouter(tags=["csat"])


class RatingBody(BaseModel):
    conversation_id: Id
    rating: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")
    comment: str | None = Field(default=None, max_length=2000)


class RatingStored(BaseModel):
    conversation_id: int
    rating: int


class Survey(BaseModel):
    conversation_id: int
    channel: str
    asked_at: str
    rating: int | None = Field(description="null until the customer answers")
    comment: str | None
    rated_at: str | None


@router.post(
    "/api/v1/widget/csat",
    tags=["widget"],  # the widget's own API (and fuzzed as the visitor with it)
    status_code=status.HTTP_201_CREATED,
    dependencies=[PublicRateLimit],
    response_model=RatingStored,
    responses=error_responses(401, 404, 409),
)
async def rate_conversation(body: RatingBody, visitor: CurrentVisitor, ctx: Ctx) -> dict[str, Any]:
    """The visitor rates a conversation staff closed: 404 when it is not theirs or was not surveyed, 409 when
    it is rated already (one rating per conversation)."""
    comment = (body.comment or "").strip() or None
    return await csat.rate_from_widget(
        ctx, visitor.tenant_id, visitor.visitor_id, body.conversation_id, body.rating, comment
    )


@router.get(
    "/admin/api/conversations/{conversation_id}/csat", response_model=Survey, responses=error_responses(401, 404)
)
async def conversation_survey(conversation_id: IdPath, staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """The conversation's satisfaction survey and its rating; 404 when it was not surveyed."""

    def read(conn: sqlite3.Connection) -> dict[str, Any] | None:
        row = surveys.survey(conn, staff.tenant_id, conversation_id)
        return {k: row[k] for k in Survey.model_fields} if row else None

    found = await ctx.db.read(read)
    if found is None:
        raise NotFound("this conversation has no satisfaction survey")
    return found
