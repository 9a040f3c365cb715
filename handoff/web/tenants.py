"""Tenants (businesses): their widget settings and channel credentials, and creating new ones."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import sqlite3
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, EmailStr, Field, field_validator

from auth import AdminOnly, CurrentStaff
from handoff.context import Ctx
from handoff.security import hash_password
from handoff.store.audit import record_event, staff_event
from handoff.store.database import now_iso
from handoff.store.users import insert_user
from handoff.web.users import checked_password

router = APIRouter(prefix="/api/v1", tags=["tenants"])
PLATFORM_TENANT_ID = 1
DEFAULT_SETTINGS: dict[str, Any] = {
    "greeting": "Hi! How can we help?",
    "color": "#2563eb",
    "position": "right",
    "language": "en",
    "prechat_form": False,
    "business_hours": None,
    "timezone": "UTC",
}
CHANNEL_FIELDS = {
    "sms": ("account_sid", "auth_token", "number"),
    "messenger": ("page_id", "page_access_token", "app_secret", "verify_token"),
}
CHANNEL_ADDRESS = {"sms": "number", "messenger": "page_id"}
SECRET_FIELDS = {"auth_token", "page_access_token", "app_secret", "verify_token"}
TIME_RANGE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class BusinessHours(BaseModel):
    """Opening hours per weekday (`mon`..`sun`), each a list of `["09:00", "17:00"]` ranges."""

    days: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], list[tuple[str, str]]]

    @field_validator("days")
    @classmethod
    def _times(cls, days: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
        for ranges in days.values():
            for start, end in ranges:
                if not (TIME_RANGE.match(start) and TIME_RANGE.match(end)) or start >= end:
                    raise ValueError('each range is ["HH:MM", "HH:MM"] with start before end')
        return days


class SettingsPatch(BaseModel):
    greeting: str | None = Field(default=None, max_length=500)
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    position: Literal["right", "left"] | None = None
    language: Literal["en", "fr", "es", "de"] | None = None
    prechat_form: bool | None = None
    business_hours: BusinessHours | None = None
    timezone: str | None = Field(default=None, max_length=64)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError("unknown IANA timezone") from None
        return value


class SmsChannel(BaseModel):
    account_sid: str | None = Field(default=None, pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: str | None = Field(default=None, min_length=8, max_length=128)
    number: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$")


class MessengerChannel(BaseModel):
    page_id: str | None = Field(default=None, pattern=r"^\d{3,32}$")
    page_access_token: str | None = Field(default=None, min_length=8, max_length=1024)
    app_secret: str | None = Field(default=None, min_length=8, max_length=256)
    verify_token: str | None = Field(default=None, min_length=8, max_length=256)


class ChannelsPatch(BaseModel):
    sms: SmsChannel | None = None
    messenger: MessengerChannel | None = None


class TenantPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    settings: SettingsPatch | None = None
    channels: ChannelsPatch | None = None


class NewTenant(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    admin_email: EmailStr
    admin_password: str = Field(max_length=1024)
    admin_name: str = Field(default="Admin", min_length=1, max_length=120)


def new_widget_key() -> str:
    return "wk_" + secrets.token_urlsafe(18)


def create_tenant(conn: sqlite3.Connection, name: str) -> tuple[int, str]:
    widget_key = new_widget_key()
    cursor = conn.execute(
        "INSERT INTO tenants (name, widget_key, settings, created_at) VALUES (?, ?, ?, ?)",
        (name, widget_key, json.dumps(DEFAULT_SETTINGS), now_iso()),
    )
    return int(cursor.lastrowid or 0), widget_key


def tenant_settings(row: sqlite3.Row) -> dict[str, Any]:
    return {**DEFAULT_SETTINGS, **json.loads(row["settings"] or "{}")}


def upsert_channel(conn: sqlite3.Connection, tenant_id: int, channel: str, values: dict[str, Any]) -> None:
    """Merge new credentials into a tenant's channel account (fields not given are kept)."""
    row = conn.execute(
        "SELECT config FROM channel_accounts WHERE tenant_id = ? AND channel = ?", (tenant_id, channel)
    ).fetchone()
    config = {**(json.loads(row["config"]) if row else {}), **values}
    address = config.get(CHANNEL_ADDRESS[channel])
    if not address:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"{channel} needs {CHANNEL_ADDRESS[channel]}")
    conn.execute(
        "INSERT INTO channel_accounts (tenant_id, channel, address, config, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (tenant_id, channel) DO UPDATE SET address = excluded.address, config = excluded.config,"
        " updated_at = excluded.updated_at",
        (tenant_id, channel, address, json.dumps(config), now_iso()),
    )


def base_url(ctx_public: str, request: Request) -> str:
    return ctx_public or str(request.base_url).rstrip("/")


def channels_view(rows: list[sqlite3.Row], base: str) -> dict[str, Any]:
    """Each channel as configured or not, with webhook URLs to paste; secrets only as `*_set` flags."""
    configs = {row["channel"]: json.loads(row["config"]) for row in rows}
    view: dict[str, Any] = {}
    for channel, fields in CHANNEL_FIELDS.items():
        config = configs.get(channel, {})
        entry: dict[str, Any] = {"configured": all(config.get(f) for f in fields if f != "verify_token")}
        for field in fields:
            if field in SECRET_FIELDS:
                entry[f"{field}_set"] = bool(config.get(field))
            else:
                entry[field] = config.get(field)
        view[channel] = entry
    view["sms"]["webhook_urls"] = {"sms": f"{base}/webhooks/twilio/sms", "status": f"{base}/webhooks/twilio/status"}
    view["messenger"]["webhook_url"] = f"{base}/webhooks/messenger"
    return view


async def tenant_view(ctx: Ctx, tenant_id: int, request: Request) -> dict[str, Any]:
    row = await ctx.db.fetchone("SELECT * FROM tenants WHERE id = ?", (tenant_id,))
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "tenant not found")
    channels = await ctx.db.fetchall("SELECT channel, config FROM channel_accounts WHERE tenant_id = ?", (tenant_id,))
    return {
        "id": row["id"],
        "name": row["name"],
        "widget_key": row["widget_key"],
        "settings": tenant_settings(row),
        "channels": channels_view(channels, base_url(ctx.settings.public_base_url, request)),
        "created_at": row["created_at"],
    }


@router.get("/tenant")
async def get_tenant(request: Request, ctx: Ctx, staff: CurrentStaff) -> dict[str, Any]:
    """The caller's tenant: name, widget key, settings and channels (never their secrets)."""
    return await tenant_view(ctx, staff.tenant_id, request)


@router.patch("/tenant")
async def update_tenant(body: TenantPatch, request: Request, ctx: Ctx, admin: AdminOnly) -> dict[str, Any]:
    """Change the tenant's name, widget settings or channel credentials (admins)."""
    settings_changes = body.settings.model_dump(exclude_unset=True, mode="json") if body.settings else {}
    channel_changes = {
        name: {k: v for k, v in values.items() if v is not None}
        for name, values in (body.channels.model_dump(exclude_unset=True) if body.channels else {}).items()
        if values is not None
    }

    def write(conn: sqlite3.Connection) -> None:
        if body.name is not None:
            conn.execute("UPDATE tenants SET name = ? WHERE id = ?", (body.name.strip(), admin.tenant_id))
        if settings_changes:
            row = conn.execute("SELECT settings FROM tenants WHERE id = ?", (admin.tenant_id,)).fetchone()
            merged = {**json.loads(row["settings"] or "{}"), **settings_changes}
            conn.execute("UPDATE tenants SET settings = ? WHERE id = ?", (json.dumps(merged), admin.tenant_id))
        for channel, values in channel_changes.items():
            upsert_channel(conn, admin.tenant_id, channel, values)
        detail = {
            "name": body.name,
            "settings": sorted(settings_changes),
            "channels": {c: sorted(v) for c, v in channel_changes.items()},
        }
        staff_event(conn, admin, "tenant.updated", "tenant", admin.tenant_id, detail)

    try:
        await ctx.db.write(write)
    except sqlite3.IntegrityError:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "that number or page is already connected to another tenant"
        ) from None
    return await tenant_view(ctx, admin.tenant_id, request)


@router.post("/tenants", status_code=status.HTTP_201_CREATED)
async def create_tenant_endpoint(body: NewTenant, ctx: Ctx, admin: AdminOnly) -> dict[str, Any]:
    """Create a business with its first admin (platform operators only: admins of tenant 1)."""
    if admin.tenant_id != PLATFORM_TENANT_ID:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only platform admins may create tenants")
    password_hash = await asyncio.to_thread(
        hash_password, checked_password(body.admin_password), ctx.settings.bcrypt_rounds
    )

    def write(conn: sqlite3.Connection) -> tuple[int, str]:
        tenant_id, widget_key = create_tenant(conn, body.name.strip())
        user_id = insert_user(conn, tenant_id, body.admin_email, body.admin_name, password_hash, "admin")
        staff_event(conn, admin, "tenant.created", "tenant", tenant_id, {"name": body.name})
        record_event(
            conn,
            tenant_id,
            "user.created",
            actor_type="user",
            actor_id=admin.id,
            target_type="user",
            target_id=user_id,
            detail={"role": "admin"},
        )
        return tenant_id, widget_key

    try:
        tenant_id, widget_key = await ctx.db.write(write)
    except sqlite3.IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, "a user with this email already exists") from None
    return {"id": tenant_id, "widget_key": widget_key}
