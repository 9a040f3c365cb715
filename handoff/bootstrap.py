"""First start: the default tenant (id 1, the platform operator), its first admin, and env-configured channels."""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
import sys
from typing import Any

from handoff.config import Settings
from handoff.crypto import SecretBox
from handoff.security import hash_password, password_problem
from handoff.store import channels, tenants
from handoff.store.audit import record_event
from handoff.store.backend import Store
from handoff.store.locks import serialised
from handoff.store.users import any_user, insert_user

DEFAULT_ADMIN_EMAIL = "admin@handoff.local"
log = logging.getLogger("handoff.bootstrap")


def env_channels(settings: Settings) -> dict[str, dict[str, Any]]:
    """The default tenant's channels configured by the operator in the environment (trusted: not verified)."""
    found: dict[str, dict[str, Any]] = {}
    if settings.twilio_number:
        found["sms"] = {
            "account_sid": settings.twilio_account_sid,
            "auth_token": settings.twilio_auth_token,
            "number": settings.twilio_number,
        }
    if settings.fb_page_id:
        found["messenger"] = {
            "page_id": settings.fb_page_id,
            "page_access_token": settings.fb_page_access_token,
            "app_secret": settings.fb_app_secret,
            "verify_token": settings.fb_verify_token,
        }
    return found


def apply_env_channel(conn: sqlite3.Connection, box: SecretBox, channel: str, values: dict[str, Any]) -> None:
    """Merge the environment's values into tenant 1's channel, unless another tenant has proven to the
    platform that the number or Page is its own: the environment does not take it back at every start."""
    address = values[channels.ADDRESS_FIELD[channel]]
    holder = channels.holder(conn, channel, address)
    if holder not in (None, 1):
        log.warning(
            "%s %s from the environment is not applied to the default business: tenant %d connected it, with"
            " proof from the platform",
            channel,
            address,
            holder,
        )
        return
    stored = channels.find(conn, box, 1, channel)
    channels.save(conn, box, 1, channel, {**(stored.config if stored else {}), **values})


async def bootstrap(db: Store, settings: Settings, box: SecretBox) -> None:
    generated = ""
    password_hash = ""
    if not await db.read(any_user):
        password = settings.admin_password
        if not password or password_problem(password):
            # Never a fixed default: a fresh random password, shown once below.
            password = generated = secrets.token_urlsafe(12)
        password_hash = await asyncio.to_thread(hash_password, password, settings.bcrypt_rounds)
    email = settings.admin_email or DEFAULT_ADMIN_EMAIL

    def write(conn: sqlite3.Connection) -> bool:
        # Several processes may start at once on an empty PostgreSQL database: one at a time from here, so
        # only the first creates the default tenant and its admin, and the others find them.
        serialised(conn, "bootstrap")
        if not tenants.exists(conn, tenants.PLATFORM_TENANT_ID):
            tenants.create(conn, "Default")
            record_event(conn, 1, "tenant.created", detail={"name": "Default", "bootstrap": True})
        created = False
        if password_hash and not any_user(conn):
            user_id = insert_user(conn, 1, email, "Admin", password_hash, "admin")
            record_event(
                conn,
                1,
                "user.created",
                target_type="user",
                target_id=user_id,
                detail={"role": "admin", "bootstrap": True},
            )
            created = True
        for channel, values in env_channels(settings).items():
            apply_env_channel(conn, box, channel, values)
        return created

    created = await db.write(write)
    if created and generated:
        # Deliberately not through logging: the contract says the generated password is shown exactly once,
        # on the console of the first start, and log lines are redacted and shipped elsewhere.
        sys.stdout.write(
            "\n  Handoff created the first admin account (shown only this once):\n"
            f"    email:    {email}\n    password: {generated}\n"
            "  Sign in and change it under Team, or set ADMIN_EMAIL / ADMIN_PASSWORD before the first start.\n\n"
        )
        sys.stdout.flush()
