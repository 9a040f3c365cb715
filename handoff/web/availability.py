"""`PATCH /api/v1/auth/me`: the signed-in agent sets their availability (online or away)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from handoff.context import Ctx
from handoff.routing import agents
from handoff.web.deps import CurrentStaff

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class AvailabilityBody(BaseModel):
    availability: agents.Choice


class MyAvailability(BaseModel):
    id: int
    availability: agents.Choice
    available: bool  # connected somewhere and not away


@router.patch("/me", response_model=MyAvailability)
async def set_my_availability(body: AvailabilityBody, staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """Go away (no new conversations are assigned to you, and you do not count as online for the widget)
    or come back online."""
    await agents.choose(ctx, staff, body.availability)
    # The stored choice decides at once; whether a socket is held anywhere comes from presence.
    available = body.availability == "online" and staff.id in ctx.hub.online_user_ids(staff.tenant_id)
    return {"id": staff.id, "availability": body.availability, "available": available}
