"""handoff.store.timers: which open conversations are due for escalation and for closing when idle."""

from __future__ import annotations

import sqlite3

import pytest

from handoff.store import conversation_updates, timers
from tests.unit.store import seed


def due_ids(conn: sqlite3.Connection, cutoff: str) -> set[int]:
    return {row["id"] for row in timers.due_for_escalation(conn, cutoff)}


def idle_ids(conn: sqlite3.Connection, cutoff: str) -> set[int]:
    return {row["id"] for row in timers.idle(conn, cutoff)}


def waiting(conn: sqlite3.Connection, tenant_id: int, key: str, since: str) -> int:
    """An open conversation whose customer has awaited an answer since `since`."""
    conversation = seed.visitor_message(conn, seed.conversation(conn, tenant_id, key, "webchat"))
    seed.set_columns(conn, "conversations", conversation["id"], awaiting_since=since)
    return int(conversation["id"])


def test_escalation_is_due_once_the_customer_has_waited_past_the_cutoff(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    cutoff = seed.ago(60)
    overdue = waiting(conn, tenant_id, "v-overdue", seed.ago(120))
    at_cutoff = waiting(conn, tenant_id, "v-at-cutoff", cutoff)
    waiting(conn, tenant_id, "v-recent", seed.ago(5))
    assert due_ids(conn, cutoff) == {overdue, at_cutoff}
    assert timers.any_due_for_escalation(conn, cutoff) is True
    assert timers.any_due_for_escalation(conn, seed.ago(600)) is False


def test_escalation_skips_answered_escalated_and_closed_conversations(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    cutoff = seed.ago(60)
    answered = seed.conversation(conn, tenant_id, "v-answered", "webchat")
    seed.visitor_message(conn, answered)
    seed.staff_message(conn, answered, status="sent")  # a staff reply clears awaiting_since
    assert seed.row(conn, "conversations", answered["id"])["awaiting_since"] is None
    seed.conversation(conn, tenant_id, "v-silent", "webchat")  # no customer message: nobody awaits
    escalated = waiting(conn, tenant_id, "v-escalated", seed.ago(120))
    conversation_updates.mark_escalated(conn, escalated)
    closed = waiting(conn, tenant_id, "v-closed", seed.ago(120))
    seed.set_columns(conn, "conversations", closed, status="closed")

    assert due_ids(conn, cutoff) == set()
    assert timers.any_due_for_escalation(conn, cutoff) is False


def test_escalation_batches_are_bounded(conn: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant_id = seed.tenant(conn)
    for n in range(3):
        waiting(conn, tenant_id, f"v{n}", seed.ago(120))
    monkeypatch.setattr(timers, "BATCH", 2)
    assert len(timers.due_for_escalation(conn, seed.ago(60))) == 2


def test_idle_conversations_are_found_in_every_tenant(conn: sqlite3.Connection) -> None:
    cutoff = seed.ago(600)
    found, tenants = set(), set()
    for name in ("first", "second"):
        tenant_id = seed.tenant(conn, name)
        tenants.add(tenant_id)
        idle = seed.visitor_message(conn, seed.conversation(conn, tenant_id, f"{name}-idle", "webchat"))
        seed.set_columns(conn, "conversations", idle["id"], last_message_at=seed.ago(3600))
        found.add(idle["id"])
        seed.visitor_message(conn, seed.conversation(conn, tenant_id, f"{name}-busy", "webchat"))
        closed = seed.conversation(conn, tenant_id, f"{name}-closed", "webchat")
        seed.set_columns(conn, "conversations", closed["id"], status="closed", last_message_at=seed.ago(3600))
    assert idle_ids(conn, cutoff) == found
    assert timers.any_idle(conn, cutoff) is True
    assert {row["tenant_id"] for row in timers.idle(conn, cutoff)} == tenants


def test_no_idle_conversation_means_nothing_is_due(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    seed.visitor_message(conn, seed.conversation(conn, tenant_id, "busy", "webchat"))
    assert timers.any_idle(conn, seed.ago(600)) is False
    assert timers.idle(conn, seed.ago(600)) == []


def test_taking_an_escalation_changes_the_row_once_and_only_while_it_is_due(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    cutoff = seed.ago(60)
    overdue = waiting(conn, tenant_id, "v-overdue", seed.ago(120))
    recent = waiting(conn, tenant_id, "v-recent", seed.ago(5))
    closed = waiting(conn, tenant_id, "v-closed", seed.ago(120))
    seed.set_columns(conn, "conversations", closed, status="closed")
    assert timers.take_escalation(conn, overdue, cutoff) is True
    assert seed.row(conn, "conversations", overdue)["escalated"] == 1
    assert timers.take_escalation(conn, overdue, cutoff) is False  # a second tick: already escalated
    assert timers.take_escalation(conn, recent, cutoff) is False  # not waited long enough
    assert timers.take_escalation(conn, closed, cutoff) is False
    assert (
        seed.row(conn, "conversations", recent)["escalated"]
        == seed.row(conn, "conversations", closed)["escalated"]
        == 0
    )


def test_taking_an_idle_conversation_closes_it_once_and_only_while_it_is_idle(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    cutoff = seed.ago(600)
    idle = seed.visitor_message(conn, seed.conversation(conn, tenant_id, "idle", "webchat"))["id"]
    seed.set_columns(conn, "conversations", idle, last_message_at=seed.ago(3600))
    busy = seed.visitor_message(conn, seed.conversation(conn, tenant_id, "busy", "webchat"))["id"]
    now = seed.ago(0)
    assert timers.take_idle(conn, busy, cutoff, now) is False  # a message since the cutoff
    assert timers.take_idle(conn, idle, cutoff, now) is True
    closed = seed.row(conn, "conversations", idle)
    assert (closed["status"], closed["closed_at"], closed["awaiting_since"]) == ("closed", now, None)
    assert timers.take_idle(conn, idle, cutoff, now) is False  # already closed
    assert seed.row(conn, "conversations", busy)["status"] == "open"
