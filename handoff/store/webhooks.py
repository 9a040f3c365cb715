"""A tenant's outgoing webhook endpoints, their deliveries and each delivery's attempts (the delivery log).

Every function takes the tenant id and matches it, except those the delivery job calls with a delivery id
it was given by the server itself. Secrets arrive and leave sealed (`SecretBox`): this module never sees one
in clear.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from handoff.store.database import now_iso, one_row, row_or_none

ENDPOINT_COLUMNS = "id, url, events, active, created_at, updated_at"
# The delivery's state, derived from its newest job (jobs.status: queued | running | done | dead).
DELIVERY_SELECT = (
    "SELECT d.id, d.uid, d.event, d.conversation_id, d.attempts, d.last_status_code, d.last_error,"
    " d.delivered_at, d.failed_at, d.created_at, d.job_id, j.status AS job_status, j.last_error AS job_error"
    " FROM webhook_deliveries d LEFT JOIN jobs j ON j.id = d.job_id"
)


def endpoint_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "url": row["url"],
        "events": json.loads(row["events"]),
        "active": bool(row["active"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def list_endpoints(conn: sqlite3.Connection, tenant_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = ? ORDER BY id", (tenant_id,)
    )
    return [endpoint_json(row) for row in rows]


def get_endpoint(conn: sqlite3.Connection, tenant_id: int, endpoint_id: int) -> dict[str, Any] | None:
    row = row_or_none(
        conn.execute(
            f"SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ? AND tenant_id = ?", (endpoint_id, tenant_id)
        )
    )
    return endpoint_json(row) if row else None


def count_endpoints(conn: sqlite3.Connection, tenant_id: int) -> int:
    return int(one_row(conn.execute("SELECT count(*) FROM webhook_endpoints WHERE tenant_id = ?", (tenant_id,)))[0])


def insert_endpoint(
    conn: sqlite3.Connection, tenant_id: int, url: str, events: list[str], sealed_secret: str
) -> dict[str, Any]:
    now = now_iso()
    return endpoint_json(
        one_row(
            conn.execute(
                "INSERT INTO webhook_endpoints (tenant_id, url, events, secret, created_at, updated_at)"
                f" VALUES (?, ?, ?, ?, ?, ?) RETURNING {ENDPOINT_COLUMNS}",
                (tenant_id, url, json.dumps(events), sealed_secret, now, now),
            )
        )
    )


def update_endpoint(
    conn: sqlite3.Connection, tenant_id: int, endpoint_id: int, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """Apply `changes` (url, events, active: names from the route's model, never from the client)."""
    stored = {
        key: json.dumps(value) if key == "events" else int(value) if key == "active" else value
        for key, value in changes.items()
    }
    sets = "".join(f"{column} = ?, " for column in stored)
    row = row_or_none(
        conn.execute(
            f"UPDATE webhook_endpoints SET {sets}updated_at = ? WHERE id = ? AND tenant_id = ?"
            f" RETURNING {ENDPOINT_COLUMNS}",
            (*stored.values(), now_iso(), endpoint_id, tenant_id),
        )
    )
    return endpoint_json(row) if row else None


def delete_endpoint(conn: sqlite3.Connection, tenant_id: int, endpoint_id: int) -> bool:
    """Its deliveries and attempts go with it; a job still queued for one finds nothing and ends."""
    cursor = conn.execute("DELETE FROM webhook_endpoints WHERE id = ? AND tenant_id = ?", (endpoint_id, tenant_id))
    return cursor.rowcount == 1


def delivery_json(row: sqlite3.Row, attempts: list[dict[str, Any]]) -> dict[str, Any]:
    # A job is swept a week after it finished: a delivery whose job is gone and did not succeed has failed.
    job_ended = row["job_status"] == "dead" or (row["job_id"] is not None and row["job_status"] is None)
    if row["delivered_at"]:
        state = "delivered"
    elif row["failed_at"] or job_ended:
        state = "failed"
    else:
        state = "pending"
    error = row["last_error"]
    if state == "failed" and row["job_status"] == "dead" and row["job_error"]:
        error = row["job_error"]  # why the queue stopped (e.g. its 24 hours ran out), over the last attempt's
    return {
        "id": row["id"],
        "delivery_id": row["uid"],
        "event": row["event"],
        "conversation_id": row["conversation_id"],
        "state": state,
        "attempts": row["attempts"],
        "last_status_code": row["last_status_code"],
        "last_error": error,
        "created_at": row["created_at"],
        "delivered_at": row["delivered_at"],
        "attempt_log": attempts,
    }


def list_deliveries(
    conn: sqlite3.Connection, tenant_id: int, endpoint_id: int, limit: int, before: int | None
) -> list[dict[str, Any]]:
    """Newest first, each with its attempts (oldest first, the last 20)."""
    sql = f"{DELIVERY_SELECT} WHERE d.endpoint_id = ? AND d.tenant_id = ?"
    args: list[Any] = [endpoint_id, tenant_id]
    if before is not None:
        sql += " AND d.id < ?"
        args.append(before)
    rows = conn.execute(sql + " ORDER BY d.id DESC LIMIT ?", (*args, limit)).fetchall()
    return [delivery_json(row, _attempts(conn, row["id"])) for row in rows]


def get_delivery(conn: sqlite3.Connection, tenant_id: int, endpoint_id: int, delivery_id: int) -> dict[str, Any] | None:
    row = row_or_none(
        conn.execute(
            f"{DELIVERY_SELECT} WHERE d.id = ? AND d.endpoint_id = ? AND d.tenant_id = ?",
            (delivery_id, endpoint_id, tenant_id),
        )
    )
    return delivery_json(row, _attempts(conn, row["id"])) if row else None


def _attempts(conn: sqlite3.Connection, delivery_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT status_code, error, duration_ms, created_at FROM (SELECT * FROM webhook_attempts"
        " WHERE delivery_id = ? ORDER BY id DESC LIMIT 20) AS recent ORDER BY id",
        (delivery_id,),
    ).fetchall()
    return [
        {"status_code": r["status_code"], "error": r["error"], "duration_ms": r["duration_ms"], "at": r["created_at"]}
        for r in rows
    ]


def reopen_delivery(conn: sqlite3.Connection, delivery_id: int) -> None:
    """A redelivery starts: the delivery is pending again (its attempts stay in the log)."""
    conn.execute(
        "UPDATE webhook_deliveries SET delivered_at = NULL, failed_at = NULL WHERE id = ?",
        (delivery_id,),
    )


# -- what the delivery job reads and writes ---------------------------------------------------------------


def for_attempt(conn: sqlite3.Connection, delivery_id: int) -> sqlite3.Row | None:
    """The delivery with its endpoint's url, sealed secret and active flag; None when the endpoint is gone."""
    return row_or_none(
        conn.execute(
            "SELECT d.id, d.tenant_id, d.uid, d.event, d.body, e.url, e.secret, e.active FROM webhook_deliveries d"
            " JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = ?",
            (delivery_id,),
        )
    )


def record_attempt(
    conn: sqlite3.Connection,
    delivery_id: int,
    *,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    outcome: str,
) -> None:
    """One attempt's result; `outcome` is "delivered", "failed" (permanently) or "retry"."""
    now = now_iso()
    conn.execute(
        "INSERT INTO webhook_attempts (delivery_id, status_code, error, duration_ms, created_at) VALUES (?, ?, ?, ?, ?)",
        (delivery_id, status_code, error, duration_ms, now),
    )
    conn.execute(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = ?, last_error = ?,"
        " delivered_at = ?, failed_at = ? WHERE id = ?",
        (
            status_code,
            error,
            now if outcome == "delivered" else None,
            now if outcome == "failed" else None,
            delivery_id,
        ),
    )
