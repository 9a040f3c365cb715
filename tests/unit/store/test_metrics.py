"""handoff.store.metrics: a conversation's metrics row through escalation, resolution and reopening."""

from __future__ import annotations

import sqlite3

from handoff.store import metrics
from tests.unit.store import seed


def metrics_row(conn: sqlite3.Connection, conversation_id: int) -> sqlite3.Row:
    found: sqlite3.Row = conn.execute(
        "SELECT * FROM conversation_metrics WHERE conversation_id = ?", (conversation_id,)
    ).fetchone()
    return found


def test_resolution_is_recorded_and_cleared_on_reopen(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    conversation = seed.conversation(conn, tenant_id, "+15550001")
    started = metrics.started_at(conn, conversation["id"])
    assert started == conversation["created_at"]

    metrics.mark_escalated(conn, conversation["id"])
    metrics.record_resolution(
        conn,
        conversation["id"],
        resolved_at="2030-01-01T00:00:00.000Z",
        seconds=90.5,
        missed=True,
        customer_messages=3,
        staff_messages=0,
    )
    row = metrics_row(conn, conversation["id"])
    assert (row["escalated"], row["resolved_at"], row["resolution_seconds"], row["missed"]) == (
        1,
        "2030-01-01T00:00:00.000Z",
        90.5,
        1,
    )
    assert (row["customer_messages"], row["staff_messages"]) == (3, 0)

    metrics.clear_resolution(conn, conversation["id"])
    row = metrics_row(conn, conversation["id"])
    assert (row["resolved_at"], row["resolution_seconds"], row["missed"], row["escalated"]) == (None, None, 0, 1)


def test_a_conversation_without_metrics_has_no_start(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    conversation = seed.conversation(conn, tenant_id, "+15550001")
    conn.execute("DELETE FROM conversation_metrics WHERE conversation_id = ?", (conversation["id"],))
    assert metrics.started_at(conn, conversation["id"]) is None
