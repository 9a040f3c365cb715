"""First start: the default tenant (id 1, the platform operator), its first admin, and env-configured channels."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import sys

from handoff.config import Settings
from handoff.security import hash_password, password_problem
from handoff.store.audit import record_event
from handoff.store.database import Database
from handoff.store.users import insert_user
from handoff.web.tenants import create_tenant, upsert_channel

DEFAULT_ADMIN_EMAIL = "admin@handoff.local"


async def bootstrap(db: Database, settings: Settings) -> None:
    has_users = await db.fetchone("SELECT 1 FROM users LIMIT 1")
    generated = ""
    password_hash = ""
    if has_users is None:
        password = settings.admin_password
        if not password or password_problem(password):
            # Never a fixed default: a fresh random password, shown once below.
            password = generated = secrets.token_urlsafe(12)
        password_hash = await asyncio.to_thread(hash_password, password, settings.bcrypt_rounds)
    email = settings.admin_email or DEFAULT_ADMIN_EMAIL

    def write(conn: sqlite3.Connection) -> bool:
        if conn.execute("SELECT 1 FROM tenants WHERE id = 1").fetchone() is None:
            create_tenant(conn, "Default")
            record_event(conn, 1, "tenant.created", detail={"name": "Default", "bootstrap": True})
        created = False
        if password_hash and conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is None:
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
        if settings.twilio_number:
            upsert_channel(
                conn,
                1,
                "sms",
                {
                    "account_sid": settings.twilio_account_sid,
                    "auth_token": settings.twilio_auth_token,
                    "number": settings.twilio_number,
                },
            )
        if settings.fb_page_id:
            upsert_channel(
                conn,
                1,
                "messenger",
                {
                    "page_id": settings.fb_page_id,
                    "page_access_token": settings.fb_page_access_token,
                    "app_secret": settings.fb_app_secret,
                    "verify_token": settings.fb_verify_token,
                },
            )
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
