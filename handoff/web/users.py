"""Staff accounts of a tenant, managed by its admins."""

from __future__ import annotations

import asyncio
import sqlite3
from functools import partial
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, EmailStr, Field

from handoff.context import Ctx
from handoff.identity import revoked, user_changed
from handoff.routing import assign
from handoff.security import hash_password, password_problem
from handoff.store import sessions
from handoff.store import users as store
from handoff.store.audit import staff_event
from handoff.store.database import IntegrityError
from handoff.web.deps import AdminOnly, CurrentStaff
from handoff.web.params import IdPath
from handoff.web.schemas import Role

router = APIRouter(prefix="/api/v1/users", tags=["users"])
team_router = APIRouter(prefix="/api/v1/team", tags=["users"])
EMAIL_TAKEN = "this email address is already in use; use another address"


class User(BaseModel):
    id: int
    tenant_id: int
    email: str
    name: str
    role: Role
    disabled: bool
    created_at: str
    last_login_at: str | None
    availability: Literal["online", "away"] = Field(
        default="online", description="the agent's own choice (PATCH /api/v1/auth/me)"
    )
    max_open: int | None = Field(
        default=None, description="cap on open conversations auto-assigned to them; null: none"
    )
    mfa_enabled: bool = Field(description="two-factor sign-in is on")


class Teammate(BaseModel):
    id: int
    name: str
    role: Role
    online: bool
    availability: Literal["online", "away"]
    available: bool = Field(description="online and not away: auto-assignment may pick them")
    max_open: int | None


class NewUser(BaseModel):
    email: EmailStr
    name: str = Field(min_length=1, max_length=120)
    password: str = Field(max_length=1024)
    role: Role = "staff"


class UserPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    role: Role | None = None
    disabled: bool | None = None
    password: str | None = Field(default=None, max_length=1024)
    max_open: int | None = Field(default=None, ge=0, le=10_000, description="null: no cap")


def checked_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, problem)
    return password


@router.get("", response_model=list[User])
async def list_users(ctx: Ctx, admin: AdminOnly) -> list[dict[str, Any]]:
    """The tenant's staff accounts."""
    return await ctx.db.read(partial(store.list_users, tenant_id=admin.tenant_id))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=User)
async def create_user(body: NewUser, ctx: Ctx, admin: AdminOnly) -> dict[str, Any]:
    """Invite a staff member or admin to the caller's tenant."""
    password_hash = await asyncio.to_thread(hash_password, checked_password(body.password), ctx.settings.bcrypt_rounds)

    def write(conn: sqlite3.Connection) -> dict[str, Any] | None:
        user_id = store.insert_user(conn, admin.tenant_id, body.email, body.name, password_hash, body.role)
        staff_event(conn, admin, "user.created", "user", user_id, {"role": body.role})
        return store.get_user(conn, admin.tenant_id, user_id)

    try:
        created = await ctx.db.write(write)
    except IntegrityError:
        # Emails are unique on the whole server (sign-in is by email alone), so an address used by another
        # business is refused too. The answer is the same as for one of the caller's own team and names no
        # one: the admin learns only that the address is taken.
        raise HTTPException(status.HTTP_409_CONFLICT, EMAIL_TAKEN) from None
    assert created is not None  # inserted in the same transaction
    return created


@router.patch("/{user_id}", response_model=User)
async def update_user(user_id: IdPath, body: UserPatch, ctx: Ctx, admin: AdminOnly) -> dict[str, Any]:
    """Rename, change role, disable/enable or reset the password of a user of the caller's tenant."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "max_open" in body.model_fields_set:  # null is a value here: it lifts the cap
        changes["max_open"] = body.max_open
    if not changes:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "nothing to change")
    if user_id == admin.id and (changes.get("disabled") or changes.get("role") == "staff"):
        raise HTTPException(status.HTTP_409_CONFLICT, "you cannot disable or demote yourself")
    if "password" in changes:
        changes["password_hash"] = await asyncio.to_thread(
            hash_password, checked_password(changes.pop("password")), ctx.settings.bcrypt_rounds
        )

    def write(conn: sqlite3.Connection) -> dict[str, Any] | None:
        if not store.update_user(conn, admin.tenant_id, user_id, changes):
            return None
        if changes.get("disabled") or "password_hash" in changes:
            sessions.revoke(conn, "disabled" if changes.get("disabled") else "password reset", user_id=user_id)
        detail = {k: v for k, v in changes.items() if k != "password_hash"}
        if "password_hash" in changes:
            detail["password_reset"] = True
        staff_event(conn, admin, "user.updated", "user", user_id, detail)
        return store.get_user(conn, admin.tenant_id, user_id)

    user = await ctx.db.write(write)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "user not found")
    if "max_open" in changes:  # a higher cap may take waiting conversations at once
        await assign.drain(ctx, admin.tenant_id)
    if changes.get("disabled") or "password_hash" in changes:
        revoked(ctx, "account disabled" if changes.get("disabled") else "password reset", user_id=user_id)
    else:
        user_changed(ctx, user_id)
    return user


@team_router.get("", response_model=list[Teammate])
async def team(ctx: Ctx, staff: CurrentStaff) -> list[dict[str, Any]]:
    """Active teammates (id, name, role, online) for any staff member, e.g. to assign a conversation."""
    members = await ctx.db.read(partial(store.active_team, tenant_id=staff.tenant_id))
    online = ctx.hub.online_user_ids(staff.tenant_id)
    available = ctx.hub.available_user_ids(staff.tenant_id)
    return [{**m, "online": m["id"] in online, "available": m["id"] in available} for m in members]
