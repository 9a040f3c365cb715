"""What alerting a team member needs from the database: their notification preferences (a JSON object on
`users.notify_prefs`, NULL: everything on) and the throttle (`alert_throttle`: when a channel last alerted
them about a conversation)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from handoff.store.database import row_or_none

PREFERENCES = ("email", "push", "sound")
DEFAULTS: dict[str, bool] = dict.fromkeys(PREFERENCES, True)


def _prefs(raw: str | None) -> dict[str, bool]:
    stored = json.loads(raw) if raw else {}
    return {name: bool(stored.get(name, on)) for name, on in DEFAULTS.items()}


def preferences(conn: sqlite3.Connection, tenant_id: int, user_id: int) -> dict[str, bool] | None:
    row = row_or_none(
        conn.execute("SELECT notify_prefs FROM users WHERE id = ? AND tenant_id = ?", (user_id, tenant_id))
    )
    return _prefs(row["notify_prefs"]) if row else None


def set_preferences(
    conn: sqlite3.Connection, tenant_id: int, user_id: int, changes: dict[str, bool]
) -> dict[str, bool]:
    current = preferences(conn, tenant_id, user_id) or dict(DEFAULTS)
    merged = {**current, **{k: bool(v) for k, v in changes.items() if k in DEFAULTS}}
    conn.execute(
        "UPDATE users SET notify_prefs = ? WHERE id = ? AND tenant_id = ?", (json.dumps(merged), user_id, tenant_id)
    )
    return merged


def recipients(conn: sqlite3.Connection, tenant_id: int, user_ids: list[int]) -> list[dict[str, Any]]:
    """The active members among `user_ids` with their email, name and preferences."""
    if not user_ids:
        return []
    marks = ", ".join("?" for _ in user_ids)
    rows = conn.execute(
        f"SELECT id, email, name, notify_prefs FROM users WHERE tenant_id = ? AND disabled = 0 AND id IN ({marks})",
        (tenant_id, *user_ids),
    )
    return [{"id": r["id"], "email": r["email"], "name": r["name"], "prefs": _prefs(r["notify_prefs"])} for r in rows]


def admin_ids(conn: sqlite3.Connection, tenant_id: int) -> list[int]:
    rows = conn.execute("SELECT id FROM users WHERE tenant_id = ? AND disabled = 0 AND role = 'admin'", (tenant_id,))
    return [int(r["id"]) for r in rows]


def take_slot(
    conn: sqlite3.Connection, user_id: int, conversation_id: int, channel: str, now: str, cutoff: str
) -> bool:
    """Claim the one alert this member may get about this conversation on this channel: True when none was
    sent since `cutoff` (and records `now`). One statement, so two processes never both get True."""
    row = row_or_none(
        conn.execute(
            "INSERT INTO alert_throttle (user_id, conversation_id, channel, sent_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id, conversation_id, channel) DO UPDATE SET sent_at = excluded.sent_at"
            " WHERE alert_throttle.sent_at < ? RETURNING user_id",
            (user_id, conversation_id, channel, now, cutoff),
        )
    )
    return row is not None
