"""Tenants (businesses): the row, its widget key, and its widget settings (JSON over `DEFAULT_SETTINGS`)."""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from handoff.store.database import now_iso, one_row, row_or_none
from handoff.store.locks import for_update

# Tenant 1 is the platform operator's: created at first start, the only one whose admins create tenants.
PLATFORM_TENANT_ID = 1
DEFAULT_SETTINGS: dict[str, Any] = {
    "greeting": "Hi! How can we help?",
    "color": "#2563eb",
    "position": "right",
    "language": "en",
    "prechat_form": False,
    "business_hours": None,
    "timezone": "UTC",
    "allowed_origins": [],
    "csat": False,
    "away_message": None,  # None: a default text in the widget's language (handoff/routing/texts.py)
    "auto_assign": False,
    "require_identity": False,
    "require_mfa": False,
}


@dataclass(frozen=True)
class Tenant:
    id: int
    name: str
    widget_key: str
    # What the tenant stored over DEFAULT_SETTINGS, so every setting has a value (or an explicit null).
    settings: dict[str, Any]
    created_at: str


def _tenant(row: sqlite3.Row) -> Tenant:
    settings = {**DEFAULT_SETTINGS, **json.loads(row["settings"] or "{}")}
    return Tenant(row["id"], row["name"], row["widget_key"], settings, row["created_at"])


def new_widget_key() -> str:
    return "wk_" + secrets.token_urlsafe(18)


def create(conn: sqlite3.Connection, name: str) -> tuple[int, str]:
    """A new tenant with the default settings and a fresh widget key: (id, widget key)."""
    widget_key = new_widget_key()
    row = one_row(
        conn.execute(
            "INSERT INTO tenants (name, widget_key, settings, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            (name, widget_key, json.dumps(DEFAULT_SETTINGS), now_iso()),
        )
    )
    return int(row["id"]), widget_key


def exists(conn: sqlite3.Connection, tenant_id: int) -> bool:
    return row_or_none(conn.execute("SELECT 1 FROM tenants WHERE id = ?", (tenant_id,))) is not None


def get(conn: sqlite3.Connection, tenant_id: int) -> Tenant | None:
    row = row_or_none(conn.execute("SELECT * FROM tenants WHERE id = ?", (tenant_id,)))
    return _tenant(row) if row else None


def by_widget_key(conn: sqlite3.Connection, widget_key: str) -> Tenant | None:
    """The tenant a widget (or its follow-up form) belongs to; None for an unknown key."""
    row = row_or_none(conn.execute("SELECT * FROM tenants WHERE widget_key = ?", (widget_key,)))
    return _tenant(row) if row else None


def rename(conn: sqlite3.Connection, tenant_id: int, name: str) -> None:
    conn.execute("UPDATE tenants SET name = ? WHERE id = ?", (name, tenant_id))


def merge_settings(conn: sqlite3.Connection, tenant_id: int, changes: dict[str, Any]) -> None:
    """Overwrite the given settings and keep the others; merged here rather than in SQL, so the same code
    serves every database (run it inside a write job: the read and the update are one transaction). The
    row is locked as it is read: a concurrent PATCH on another process then merges into this one's result
    instead of overwriting it with what it read before."""
    row = row_or_none(conn.execute(f"SELECT settings FROM tenants WHERE id = ?{for_update(conn)}", (tenant_id,)))
    stored = json.loads(row["settings"] or "{}") if row else {}
    conn.execute("UPDATE tenants SET settings = ? WHERE id = ?", (json.dumps({**stored, **changes}), tenant_id))
