"""Web Push rows: the deployment's one VAPID key pair and the browsers staff subscribed (one row per push
endpoint, which is unique: a browser's endpoint belongs to whoever subscribed it last)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from handoff.store.database import now_iso, one_row, row_or_none

MAX_PER_USER = 10
COLUMNS = "id, tenant_id, user_id, endpoint, p256dh, auth, created_at, last_success_at"


@dataclass(frozen=True)
class StoredKeys:
    public_key: str  # base64url of the uncompressed P-256 point, as browsers take `applicationServerKey`
    sealed_private_key: str  # SecretBox-sealed base64url of the private scalar


@dataclass(frozen=True)
class Subscription:
    id: int
    tenant_id: int
    user_id: int
    endpoint: str
    p256dh: str
    auth: str
    created_at: str
    last_success_at: str | None

    def json(self) -> dict[str, Any]:
        """What the API shows: never the keys (they are the browser's, and no use to anyone else)."""
        return {
            "id": self.id,
            "endpoint": self.endpoint,
            "created_at": self.created_at,
            "last_success_at": self.last_success_at,
        }


def _subscription(row: sqlite3.Row) -> Subscription:
    return Subscription(
        id=int(row["id"]),
        tenant_id=int(row["tenant_id"]),
        user_id=int(row["user_id"]),
        endpoint=str(row["endpoint"]),
        p256dh=str(row["p256dh"]),
        auth=str(row["auth"]),
        created_at=str(row["created_at"]),
        last_success_at=row["last_success_at"],
    )


def keys(conn: sqlite3.Connection) -> StoredKeys | None:
    row = row_or_none(conn.execute("SELECT public_key, private_key FROM push_vapid WHERE id = 1"))
    return StoredKeys(str(row["public_key"]), str(row["private_key"])) if row else None


def put_keys(conn: sqlite3.Connection, public_key: str, sealed_private_key: str) -> None:
    """Store the key pair (replacing one that can no longer be opened)."""
    conn.execute(
        "INSERT INTO push_vapid (id, public_key, private_key, created_at) VALUES (1, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET public_key = excluded.public_key, private_key = excluded.private_key,"
        " created_at = excluded.created_at",
        (public_key, sealed_private_key, now_iso()),
    )


def delete_all(conn: sqlite3.Connection) -> int:
    """Every subscription: they are bound to the key pair they were made with."""
    return int(conn.execute("DELETE FROM push_subscriptions").rowcount)


def save(conn: sqlite3.Connection, tenant_id: int, user_id: int, endpoint: str, p256dh: str, auth: str) -> Subscription:
    """Store a browser's subscription for this user; an endpoint already stored (the same browser again, or
    signed in as someone else now) is taken over with its new keys."""
    row = one_row(
        conn.execute(
            "INSERT INTO push_subscriptions (tenant_id, user_id, endpoint, p256dh, auth, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (endpoint) DO UPDATE SET tenant_id = excluded.tenant_id,"
            " user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth,"
            f" created_at = excluded.created_at, last_success_at = NULL RETURNING {COLUMNS}",
            (tenant_id, user_id, endpoint, p256dh, auth, now_iso()),
        )
    )
    # Each alert fans out to every browser of the member: the oldest beyond the newest few are dropped.
    conn.execute(
        "DELETE FROM push_subscriptions WHERE tenant_id = ? AND user_id = ? AND id NOT IN (SELECT id FROM"
        " push_subscriptions WHERE tenant_id = ? AND user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?)",
        (tenant_id, user_id, tenant_id, user_id, MAX_PER_USER),
    )
    return _subscription(row)


def remove(conn: sqlite3.Connection, tenant_id: int, user_id: int, endpoint: str) -> bool:
    """Unsubscribe one of this user's browsers; False when it is not theirs (or not stored)."""
    cursor = conn.execute(
        "DELETE FROM push_subscriptions WHERE endpoint = ? AND tenant_id = ? AND user_id = ?",
        (endpoint, tenant_id, user_id),
    )
    return int(cursor.rowcount) > 0


def of_user(conn: sqlite3.Connection, tenant_id: int, user_id: int) -> list[Subscription]:
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM push_subscriptions WHERE tenant_id = ? AND user_id = ? ORDER BY id",
        (tenant_id, user_id),
    ).fetchall()
    return [_subscription(r) for r in rows]


def get(conn: sqlite3.Connection, tenant_id: int, subscription_id: int) -> Subscription | None:
    row = row_or_none(
        conn.execute(
            f"SELECT {COLUMNS} FROM push_subscriptions WHERE id = ? AND tenant_id = ?", (subscription_id, tenant_id)
        )
    )
    return _subscription(row) if row else None


def forget(conn: sqlite3.Connection, subscription_id: int) -> None:
    """The push service says the subscription is gone (404/410)."""
    conn.execute("DELETE FROM push_subscriptions WHERE id = ?", (subscription_id,))


def succeeded(conn: sqlite3.Connection, subscription_id: int) -> None:
    conn.execute("UPDATE push_subscriptions SET last_success_at = ? WHERE id = ?", (now_iso(), subscription_id))
