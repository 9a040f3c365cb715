"""API tokens, managed by admins signed in with a password: create (the token shown once), list (never the
token), revoke (a 401 at once on every process). Creating and revoking are audited. How a token
authenticates is `handoff.identity.staff_from_api_token`."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from handoff import api_tokens
from handoff.context import Ctx
from handoff.errors import Invalid, NotFound
from handoff.identity import Staff, revoked
from handoff.store import api_tokens as store
from handoff.store.audit import staff_event
from handoff.store.database import iso
from handoff.web.deps import admin_only
from handoff.web.params import IdPath
from handoff.web.schemas import error_responses

router = APIRouter(prefix="/api/v1/api-tokens", tags=["API tokens"])


async def signed_in_admin(admin: Annotated[Staff, Depends(admin_only)]) -> Staff:
    """Managing tokens takes a password sign-in: a token cannot mint or revoke tokens."""
    if admin.via_api_token:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "API tokens are managed by an admin signed in with a password")
    return admin


Admin = Annotated[Staff, Depends(signed_in_admin)]


class Creator(BaseModel):
    id: int
    name: str | None


class ApiToken(BaseModel):
    id: int
    name: str
    role: Literal["admin", "staff"]
    prefix: str = Field(description="the token's first characters, to recognise it")
    created_at: str
    expires_at: str | None
    last_used_at: str | None = Field(description="to the minute")
    created_by: Creator


class NewApiToken(ApiToken):
    token: str = Field(description="`Authorization: Bearer <token>`; shown only in this answer")


class ApiTokenList(BaseModel):
    api_tokens: list[ApiToken]


class ApiTokenBody(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    role: Literal["admin", "staff"] = "staff"
    expires_at: datetime | None = Field(default=None, description="ISO 8601 with a zone; none: never expires")


@router.get("", response_model=ApiTokenList)
async def list_tokens(ctx: Ctx, admin: Admin) -> dict[str, Any]:
    """The tenant's tokens that are not revoked, newest first (expired ones too)."""
    return {"api_tokens": await ctx.db.read(partial(store.list_tokens, tenant_id=admin.tenant_id))}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=NewApiToken)
async def create_token(body: ApiTokenBody, ctx: Ctx, admin: Admin) -> dict[str, Any]:
    """Create a token acting for you with `role` (staff by default); the answer holds it, never shown again."""
    name = body.name.strip()
    if not name:
        raise Invalid("name must not be blank")
    expires_at = None
    if body.expires_at is not None:
        if body.expires_at.tzinfo is None:
            raise Invalid("expires_at must include a time zone (e.g. Z)")
        if body.expires_at <= datetime.now(UTC):
            raise Invalid("expires_at must be in the future")
        expires_at = iso(body.expires_at)
    token, token_hash, prefix = api_tokens.new_token()

    def write(conn: sqlite3.Connection) -> dict[str, Any]:
        created = store.insert_token(conn, admin.tenant_id, admin.id, name, body.role, token_hash, prefix, expires_at)
        detail = {"name": name, "role": body.role, "expires_at": expires_at}
        staff_event(conn, admin, "api_token.created", "api_token", created["id"], detail)
        return created

    return {**await ctx.db.write(write), "token": token}


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(404))
async def revoke_token(token_id: IdPath, ctx: Ctx, admin: Admin) -> None:
    """Revoke a token: every process refuses it from the next request on, and its sockets close."""

    def write(conn: sqlite3.Connection) -> None:
        found = store.revoke(conn, admin.tenant_id, token_id)
        if found is None:
            raise NotFound("API token not found")
        staff_event(conn, admin, "api_token.revoked", "api_token", token_id, {"name": found["name"]})

    await ctx.db.write(write)
    revoked(ctx, "token revoked", session_id=api_tokens.session_id(token_id))
