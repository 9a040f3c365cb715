"""`GET /api/v1/events`: the audit log, for a tenant's admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from auth import AdminOnly
from handoff.context import Ctx
from handoff.store.audit import event_json
from handoff.web.params import BeforeQuery

router = APIRouter(prefix="/api/v1/events", tags=["audit"])


@router.get("")
async def list_events(
    ctx: Ctx,
    admin: AdminOnly,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: BeforeQuery = None,
) -> dict[str, Any]:
    """The caller's tenant's audit log, newest first (admins only)."""
    rows = await ctx.db.fetchall(
        "SELECT * FROM events WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
        (admin.tenant_id, before or 2**62, limit),
    )
    events = [event_json(row) for row in rows]
    return {"events": events, "next_before": events[-1]["id"] if len(events) == limit else None}
