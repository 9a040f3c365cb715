"""Staff accounts of a tenant, managed by its admins."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, EmailStr, Field

from auth import AdminOnly, CurrentStaff, revoke_sessions, revoked, user_changed
from handoff.context import Ctx
from handoff.security import hash_password, password_problem
from handoff.store.audit import staff_event
from handoff.store.database import now_iso

router = APIRouter(prefix="/api/v1/users", tags=["users"])
team_router = APIRouter(prefix="/api/v1/team", tags=["users"])
Role = Literal["admin", "staff"]
USER_COLUMNS = "id, tenant_id, email, name, role, disabled, created_at, last_login_at"
EMAIL_TAKEN = "this email address is already in use; use another address"


def user_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "tenant_id": row["tenant_id"],
        "email": row["email"],
        "name": row["name"],
        "role": row["role"],
        "disabled": bool(row["disabled"]),
        "created_at": row["created_at"],
        "last_login_at": row["last_login_at"],
    }


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


def insert_user(conn: sqlite3.Connection, tenant_id: int, email: str, name: str, password_hash: str, role: str) -> int:
    """Create a user; the caller maps the unique-email failure to a 409."""
    cursor = conn.execute(
        "INSERT INTO users (tenant_id, email, name, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (tenant_id, email.strip().lower(), name.strip(), password_hash, role, now_iso()),
    )
    return int(cursor.lastrowid or 0)


def checked_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, problem)
    return password


@router.get("")
async def list_users(ctx: Ctx, admin: AdminOnly) -> list[dict[str, Any]]:
    """The tenant's staff accounts."""
    rows = await ctx.db.fetchall(
        f"SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ? ORDER BY id", (admin.tenant_id,)
    )
    return [user_json(r) for r in rows]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(body: NewUser, ctx: Ctx, admin: AdminOnly) -> dict[str, Any]:
    """Invite a staff member or admin to the caller's tenant."""
    password_hash = await asyncio.to_thread(hash_password, checked_password(body.password), ctx.settings.bcrypt_rounds)

    def write(conn: sqlite3.Connection) -> sqlite3.Row:
        user_id = insert_user(conn, admin.tenant_id, body.email, body.name, password_hash, body.role)
        staff_event(conn, admin, "user.created", "user", user_id, {"role": body.role})
        return conn.execute(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()

    try:
        row = await ctx.db.write(write)
    except sqlite3.IntegrityError:
        # Emails are unique on the whole server (sign-in is by email alone), so an address used by another
        # business is refused too. The answer is the same as for one of the caller's own team and names no
        # one: the admin learns only that the address is taken.
        raise HTTPException(status.HTTP_409_CONFLICT, EMAIL_TAKEN) from None
    return user_json(row)


@router.patch("/{user_id}")
async def update_user(user_id: int, body: UserPatch, ctx: Ctx, admin: AdminOnly) -> dict[str, Any]:
    """Rename, change role, disable/enable or reset the password of a user of the caller's tenant."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if not changes:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "nothing to change")
    if user_id == admin.id and (changes.get("disabled") or changes.get("role") == "staff"):
        raise HTTPException(status.HTTP_409_CONFLICT, "you cannot disable or demote yourself")
    if "password" in changes:
        changes["password_hash"] = await asyncio.to_thread(
            hash_password, checked_password(changes.pop("password")), ctx.settings.bcrypt_rounds
        )

    def write(conn: sqlite3.Connection) -> sqlite3.Row | None:
        if (
            conn.execute("SELECT 1 FROM users WHERE id = ? AND tenant_id = ?", (user_id, admin.tenant_id)).fetchone()
            is None
        ):
            return None
        assignments = ", ".join(f"{column} = ?" for column in changes)
        conn.execute(f"UPDATE users SET {assignments} WHERE id = ?", (*changes.values(), user_id))
        if changes.get("disabled") or "password_hash" in changes:
            revoke_sessions(conn, "disabled" if changes.get("disabled") else "password reset", user_id=user_id)
        detail = {k: v for k, v in changes.items() if k != "password_hash"}
        if "password_hash" in changes:
            detail["password_reset"] = True
        staff_event(conn, admin, "user.updated", "user", user_id, detail)
        return conn.execute(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()

    row = await ctx.db.write(write)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "user not found")
    if changes.get("disabled") or "password_hash" in changes:
        revoked(ctx, "account disabled" if changes.get("disabled") else "password reset", user_id=user_id)
    else:
        user_changed(ctx, user_id)
    return user_json(row)


@team_router.get("")
async def team(ctx: Ctx, staff: CurrentStaff) -> list[dict[str, Any]]:
    """Active teammates (id, name, role, online) for any staff member, e.g. to assign a conversation."""
    rows = await ctx.db.fetchall(
        "SELECT id, name, role FROM users WHERE tenant_id = ? AND disabled = 0 ORDER BY name", (staff.tenant_id,)
    )
    online = ctx.hub.online_user_ids(staff.tenant_id)
    return [{"id": r["id"], "name": r["name"], "role": r["role"], "online": r["id"] in online} for r in rows]
