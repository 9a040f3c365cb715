"""The audit log: every state-changing action writes an `events` row in the same transaction as the change."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Protocol

from handoff.logs import client_address_var, request_id_var
from handoff.store.database import now_iso


def record_event(
    conn: sqlite3.Connection,
    tenant_id: int | None,
    action: str,
    *,
    actor_type: str = "system",
    actor_id: Any = None,
    target_type: str | None = None,
    target_id: Any = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one audit row; call it inside the write job that makes the change, so both commit together."""
    conn.execute(
        "INSERT INTO events (tenant_id, actor_type, actor_id, action, target_type, target_id, detail, request_id,"
        " client_address, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            tenant_id,
            actor_type,
            None if actor_id is None else str(actor_id),
            action,
            target_type,
            None if target_id is None else str(target_id),
            json.dumps(detail) if detail else None,
            request_id_var.get(),
            None if client_address_var.get() == "-" else client_address_var.get(),
            now_iso(),
        ),
    )


class Actor(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def tenant_id(self) -> int: ...


def staff_event(
    conn: sqlite3.Connection,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: Any,
    detail: dict[str, Any] | None = None,
) -> None:
    """Audit an action a signed-in staff member took in their own tenant."""
    record_event(
        conn,
        actor.tenant_id,
        action,
        actor_type="user",
        actor_id=actor.id,
        target_type=target_type,
        target_id=target_id,
        detail=detail,
    )


def event_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "tenant_id": row["tenant_id"],
        "actor": {"type": row["actor_type"], "id": row["actor_id"]},
        "action": row["action"],
        "target": {"type": row["target_type"], "id": row["target_id"]} if row["target_type"] else None,
        "detail": json.loads(row["detail"]) if row["detail"] else None,
        "request_id": row["request_id"],
        "client_address": row["client_address"],
        "created_at": row["created_at"],
    }


def list_events(
    conn: sqlite3.Connection,
    tenant_id: int,
    *,
    before: int | None,
    limit: int,
    action: str | None = None,
    actor: int | None = None,
) -> list[dict[str, Any]]:
    """A tenant's audit log, newest first, below the id `before`; `action` is one action (`user.created`) or,
    without a dot, a kind (`user`: every `user.*`); `actor` is a user id."""
    sql = "SELECT * FROM events WHERE tenant_id = ? AND (CAST(? AS BIGINT) IS NULL OR id < ?)"
    params: list[Any] = [tenant_id, before, before]
    if action is not None:
        if "." in action:
            sql += " AND action = ?"
            params.append(action)
        else:
            sql += " AND substr(action, 1, ?) = ?"
            params += [len(action) + 1, action + "."]
    if actor is not None:
        sql += " AND actor_type = 'user' AND actor_id = ?"
        params.append(str(actor))
    rows = conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
    return [event_json(row) for row in rows]
