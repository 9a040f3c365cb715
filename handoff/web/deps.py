"""The FastAPI dependencies that authenticate a request: `CurrentStaff`, `AdminOnly` and `CurrentVisitor`
(bearer tokens, checked by `handoff.identity`), and the per-address limit on the public endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from handoff.context import AppContext, Ctx, client_ip
from handoff.identity import Staff, Visitor, staff_from_token, unauthorized, visitor_from_token
from handoff.quotas import report, retry_after_seconds

bearer = HTTPBearer(auto_error=False)


async def current_staff(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Staff:
    if credentials is None:
        raise unauthorized()
    return await staff_from_token(ctx, credentials.credentials)


async def admin_only(staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
    if not staff.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admin role required")
    return staff


CurrentStaff = Annotated[Staff, Depends(current_staff)]
AdminOnly = Annotated[Staff, Depends(admin_only)]


async def current_visitor(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Visitor:
    if credentials is None:
        raise unauthorized("visitor token required")
    return visitor_from_token(ctx, credentials.credentials)


CurrentVisitor = Annotated[Visitor, Depends(current_visitor)]


async def limit_ip(request: Request) -> None:
    """Per-IP ceiling on the public endpoints (async: plain-def dependencies cost a thread hop); the quota
    left goes out in the RateLimit headers."""
    ctx: AppContext = request.app.state.ctx
    quota = report(await ctx.limits.public_per_ip.take(client_ip(request)))
    if not quota.allowed:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many requests",
            headers={"Retry-After": str(retry_after_seconds(quota))},
        )


PublicRateLimit = Depends(limit_ip)
