"""Tenants (businesses): their widget settings and channel credentials, and creating new ones."""

from __future__ import annotations

import asyncio
import sqlite3
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, EmailStr, Field, field_validator

from handoff.channels import ownership
from handoff.context import AppContext, Ctx
from handoff.identity import Staff
from handoff.routing import assign, hours
from handoff.security import hash_password
from handoff.store import channels, tenants
from handoff.store.audit import record_event, staff_event
from handoff.store.database import IntegrityError
from handoff.store.users import insert_user
from handoff.web.deps import AdminOnly, CurrentStaff
from handoff.web.origins import normalise
from handoff.web.schemas import BusinessHours
from handoff.web.tenant_schemas import CreatedTenant, TenantView
from handoff.web.users import checked_password

router = APIRouter(prefix="/api/v1", tags=["tenants"])
CHANNEL_FIELDS = {
    "sms": ("account_sid", "auth_token", "number"),
    "messenger": ("page_id", "page_access_token", "app_secret", "verify_token"),
}


class SettingsPatch(BaseModel):
    greeting: str | None = Field(default=None, max_length=500)
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    position: Literal["right", "left"] | None = None
    language: Literal["en", "fr", "es", "de"] | None = None
    prechat_form: bool | None = None
    business_hours: BusinessHours | None = None
    timezone: str | None = Field(default=None, max_length=64)
    allowed_origins: list[Annotated[str, Field(max_length=300)]] | None = Field(default=None, max_length=50)
    csat: bool | None = None
    away_message: str | None = Field(default=None, max_length=1000, description="null or empty: the default text")
    auto_assign: bool | None = None
    require_identity: bool | None = None
    require_mfa: bool | None = None

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        normal = []
        for entry in value:
            origin = normalise(entry)
            if origin is None:
                raise ValueError(f"not an origin (scheme://host[:port]): {entry[:80]!r}")
            if origin not in normal:
                normal.append(origin)
        return normal

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and hours.zone(value) is None:
            raise ValueError("unknown IANA timezone")
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


def base_url(ctx_public: str, request: Request) -> str:
    return ctx_public or str(request.base_url).rstrip("/")


def channels_view(accounts: dict[str, channels.Account], base: str) -> dict[str, Any]:
    """Each channel as configured or not, with webhook URLs to paste; secrets only as `*_set` flags."""
    view: dict[str, Any] = {}
    for channel, fields in CHANNEL_FIELDS.items():
        config = accounts[channel].config if channel in accounts else {}
        entry: dict[str, Any] = {"configured": all(config.get(f) for f in fields if f != "verify_token")}
        for field in fields:
            if field in channels.SECRET_FIELDS:
                entry[f"{field}_set"] = bool(config.get(field))
            else:
                entry[field] = config.get(field)
        view[channel] = entry
    view["sms"]["webhook_urls"] = {"sms": f"{base}/webhooks/twilio/sms", "status": f"{base}/webhooks/twilio/status"}
    view["messenger"]["webhook_url"] = f"{base}/webhooks/messenger"
    return view


async def tenant_view(ctx: Ctx, tenant_id: int, request: Request) -> dict[str, Any]:
    tenant = await ctx.db.read(partial(tenants.get, tenant_id=tenant_id))
    if tenant is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "tenant not found")
    accounts = await ctx.db.read(lambda c: channels.of_tenant(c, ctx.secrets, tenant_id))
    return {
        "id": tenant.id,
        "name": tenant.name,
        "widget_key": tenant.widget_key,
        "settings": tenant.settings,
        "channels": channels_view(accounts, base_url(ctx.settings.public_base_url, request)),
        "created_at": tenant.created_at,
    }


@router.get("/tenant", response_model=TenantView)
async def get_tenant(request: Request, ctx: Ctx, staff: CurrentStaff) -> dict[str, Any]:
    """The caller's tenant: name, widget key, settings and channels (never their secrets)."""
    return await tenant_view(ctx, staff.tenant_id, request)


@router.patch("/tenant", response_model=TenantView)
async def update_tenant(body: TenantPatch, request: Request, ctx: Ctx, admin: AdminOnly) -> dict[str, Any]:
    """Change the tenant's name, widget settings or channel credentials (admins). A number or Page is saved
    only once Twilio or Facebook confirm it belongs to the credentials given (422 otherwise)."""
    settings_changes = body.settings.model_dump(exclude_unset=True, mode="json") if body.settings else {}
    channel_changes = {
        name: {k: v for k, v in values.items() if v is not None}
        for name, values in (body.channels.model_dump(exclude_unset=True) if body.channels else {}).items()
        if values is not None
    }
    configs = await proven_channels(ctx, admin.tenant_id, channel_changes)

    def write(conn: sqlite3.Connection) -> None:
        if body.name is not None:
            tenants.rename(conn, admin.tenant_id, body.name.strip())
        if settings_changes:
            tenants.merge_settings(conn, admin.tenant_id, settings_changes)
        for channel, config in configs.items():
            save_channel(conn, ctx, admin, channel, config)
        detail = {
            "name": body.name,
            "settings": sorted(settings_changes),
            "channels": {c: sorted(v) for c, v in channel_changes.items()},
        }
        staff_event(conn, admin, "tenant.updated", "tenant", admin.tenant_id, detail)

    # Database work only: after a conflict with another process's write (two businesses saving one number at
    # once: the unique address) it runs again and finds the other's row, as the second of two would on SQLite.
    await ctx.db.write(write, retry=True)
    if settings_changes.get("auto_assign"):  # turned on: what waits goes to whoever has room
        await assign.drain(ctx, admin.tenant_id)
    return await tenant_view(ctx, admin.tenant_id, request)


async def proven_channels(
    ctx: AppContext, tenant_id: int, changes: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Each changed channel's whole config (the changes over what is stored), once the platform has confirmed
    that the number or Page belongs to those credentials. Asked outside the write, so no slow platform call
    holds up other writes; what was proven is exactly what gets stored."""
    stored = await ctx.db.read(lambda c: channels.of_tenant(c, ctx.secrets, tenant_id)) if changes else {}
    configs = {}
    for channel, values in changes.items():
        config = {**(stored[channel].config if channel in stored else {}), **values}
        try:
            await ownership.prove(ctx, channel, config)
        except ownership.NotProven as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, exc.detail) from None
        configs[channel] = config
    return configs


def save_channel(conn: sqlite3.Connection, ctx: AppContext, admin: Staff, channel: str, config: dict[str, Any]) -> None:
    """Store a proven channel. A number or Page another tenant held moves here: its owner just proved it is
    theirs (the other tenant may have claimed it first, or lost the account since). Both audit logs say so;
    neither learns who the other tenant is."""
    address = config[channels.ADDRESS_FIELD[channel]]
    previous = channels.save(conn, ctx.secrets, admin.tenant_id, channel, config)
    if previous is None:
        return
    staff_event(conn, admin, "channel.claimed", "channel", channel, {"address": address, "moved": True})
    record_event(
        conn,
        previous,
        "channel.claimed_by_other",
        target_type="channel",
        target_id=channel,
        detail={
            "address": address,
            "reason": f"another business proved to {ownership.PLATFORM[channel]} that it owns it",
        },
    )


@router.post("/tenants", status_code=status.HTTP_201_CREATED, response_model=CreatedTenant)
async def create_tenant_endpoint(body: NewTenant, ctx: Ctx, admin: AdminOnly) -> dict[str, Any]:
    """Create a business with its first admin (platform operators only: admins of tenant 1)."""
    if admin.tenant_id != tenants.PLATFORM_TENANT_ID:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only platform admins may create tenants")
    password_hash = await asyncio.to_thread(
        hash_password, checked_password(body.admin_password), ctx.settings.bcrypt_rounds
    )

    def write(conn: sqlite3.Connection) -> tuple[int, str]:
        tenant_id, widget_key = tenants.create(conn, body.name.strip())
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
    except IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, "a user with this email already exists") from None
    return {"id": tenant_id, "widget_key": widget_key}
