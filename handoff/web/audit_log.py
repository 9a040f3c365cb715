"""`GET /api/v1/events`: the audit log, for a tenant's admins."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from handoff.context import Ctx
from handoff.store import audit
from handoff.store.database import MAX_INTEGER
from handoff.web.deps import AdminOnly
from handoff.web.params import BeforeQuery

router = APIRouter(prefix="/api/v1/events", tags=["audit"])


class EventRef(BaseModel):
    type: str | None
    id: str | None


class AuditEvent(BaseModel):
    id: int
    tenant_id: int | None
    actor: EventRef
    action: str = Field(examples=["auth.login", "conversation.closed"])
    target: EventRef | None
    detail: dict[str, Any] | None
    request_id: str | None
    client_address: str | None = Field(description="the client's address after PROXY_HOPS")
    created_at: str


class AuditPage(BaseModel):
    events: list[AuditEvent]
    next_before: int | None = Field(description="pass as `before` for the next page; null on the last")


@router.get("", response_model=AuditPage)
async def list_events(
    ctx: Ctx,
    admin: AdminOnly,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: BeforeQuery = None,
    action: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=r"^[a-z_]+(\.[a-z_]+)?$",
            description="only this action (`user.created`), or every action of a kind (`user`: `user.*`)",
        ),
    ] = None,
    actor: Annotated[
        int | None, Query(ge=1, le=MAX_INTEGER, description="only what this teammate (a user id) did")
    ] = None,
) -> dict[str, Any]:
    """The caller's tenant's audit log, newest first (admins only)."""
    events = await ctx.db.read(
        partial(audit.list_events, tenant_id=admin.tenant_id, before=before, limit=limit, action=action, actor=actor)
    )
    return {"events": events, "next_before": events[-1]["id"] if len(events) == limit else None}
