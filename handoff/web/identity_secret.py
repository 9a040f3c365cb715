"""`/api/v1/tenant/identity-secret` (admins): read and rotate the key the host site signs its user ids with."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from handoff import verified
from handoff.context import Ctx
from handoff.identity import Staff
from handoff.store import verified as store
from handoff.store.audit import staff_event
from handoff.web.deps import AdminOnly
from handoff.web.schemas import error_responses

router = APIRouter(prefix="/api/v1/tenant/identity-secret", tags=["tenants"])


async def signed_in_admin(admin: AdminOnly) -> Staff:
    """The identity secret is for an admin signed in with a password: an API token neither reads nor rotates it."""
    if admin.via_api_token:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the identity secret is for an admin signed in with a password")
    return admin


Admin = Annotated[Staff, Depends(signed_in_admin)]


class IdentitySecret(BaseModel):
    identity_secret: str = Field(
        description="user_hash = hex(HMAC-SHA256(identity_secret, user_id)); keep it server-side"
    )


@router.get("", response_model=IdentitySecret, responses=error_responses(403))
async def read_identity_secret(admin: Admin, ctx: Ctx) -> dict[str, Any]:
    """The tenant's identity secret (made on first read)."""
    secret = await verified.tenant_secret(ctx, admin.tenant_id, create=True)
    if secret is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "the identity secret cannot be read: rotate it")
    return {"identity_secret": secret}


@router.post("", response_model=IdentitySecret, responses=error_responses(403))
async def rotate_identity_secret(admin: Admin, ctx: Ctx) -> dict[str, Any]:
    """A new secret: hashes made with the old one stop verifying at once."""
    secret = verified.new_secret()
    sealed = ctx.secrets.seal(secret)

    def write(conn: sqlite3.Connection) -> None:
        store.set_identity_secret(conn, admin.tenant_id, sealed)
        staff_event(conn, admin, "tenant.identity_secret_rotated", "tenant", admin.tenant_id)

    await ctx.db.write(write)
    return {"identity_secret": secret}
