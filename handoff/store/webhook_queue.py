"""Queue outgoing webhook deliveries in the transaction of the change that causes them, so an event is
delivered if and only if its change committed.

`queue_event` is the one entry point: call it inside the `db.write` that makes the change. It costs one
indexed read when the tenant has no endpoint for the event (the common case, and on the message path), and
otherwise writes one `webhook_deliveries` row and one job per subscribed endpoint. Jobs of one endpoint and
one conversation share an order key, so they are delivered in the order they happened.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

from handoff.store import jobs
from handoff.store.database import now_iso, one_row

JOB_KIND = "webhook"
EVENTS = (
    "conversation.created",
    "message.created",
    "conversation.updated",
    "conversation.closed",
    "followup.created",
    "csat.submitted",
)
Data = dict[str, Any] | Callable[[], dict[str, Any]]


class _Queued:
    """Set in the write that queued something, taken after it commits (`take_queued`), so the request path
    wakes the job queue only when there is work for it."""

    flag = False


def subscribers(conn: sqlite3.Connection, tenant_id: int, event: str) -> list[int]:
    """Ids of the tenant's active endpoints that want `event`."""
    rows = conn.execute(
        "SELECT id, events FROM webhook_endpoints WHERE tenant_id = ? AND active = 1 ORDER BY id", (tenant_id,)
    ).fetchall()
    return [int(row[0]) for row in rows if event in json.loads(row[1])]


def queue_event(
    conn: sqlite3.Connection, tenant_id: int, event: str, data: Data, conversation_id: int | None = None
) -> int:
    """Queue `event` with `data` (a dict, or a function building it, called only when someone subscribed)
    for every endpoint of the tenant that wants it; returns how many deliveries were queued.

    `conversation_id` orders deliveries: per endpoint, events of one conversation go out one after another
    in the order they were queued. Never pass a private note: `message.created` refuses one anyway."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = subscribers(conn, tenant_id, event)
    if not endpoints:
        return 0
    payload = data() if callable(data) else data
    if event == "message.created" and payload.get("message", {}).get("private"):
        return 0  # a private note is the team's: it never leaves the server
    now = now_iso()
    body = json.dumps(
        {"id": uuid.uuid4().hex, "event": event, "created_at": now, "tenant_id": tenant_id, "data": payload},
        separators=(",", ":"),
    )
    for endpoint_id in endpoints:
        delivery_id = int(
            one_row(
                conn.execute(
                    "INSERT INTO webhook_deliveries (tenant_id, endpoint_id, uid, event, conversation_id, body,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (tenant_id, endpoint_id, str(uuid.uuid4()), event, conversation_id, body, now),
                )
            )[0]
        )
        enqueue_delivery(conn, tenant_id, endpoint_id, delivery_id, conversation_id)
    return len(endpoints)


def enqueue_delivery(
    conn: sqlite3.Connection, tenant_id: int, endpoint_id: int, delivery_id: int, conversation_id: int | None
) -> int:
    """A job for one delivery (also a redelivery), ordered behind the endpoint's earlier ones of the same
    conversation; the delivery row points at its newest job."""
    order_key = f"webhook:{endpoint_id}:{conversation_id}" if conversation_id else None
    job_id = jobs.enqueue(conn, tenant_id, JOB_KIND, {"delivery_id": delivery_id}, order_key=order_key)
    conn.execute("UPDATE webhook_deliveries SET job_id = ? WHERE id = ?", (job_id, delivery_id))
    _Queued.flag = True
    return job_id


def take_queued() -> bool:
    """Whether a write queued a delivery since the last call (then: wake the job queue)."""
    queued, _Queued.flag = _Queued.flag, False
    return queued
