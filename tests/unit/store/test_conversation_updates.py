"""handoff.store.conversation_updates, the conversation and contact reads by id, and users.is_active_user."""

from __future__ import annotations

import json
import sqlite3

import pytest

from handoff.store import conversation_updates as updates
from handoff.store import conversations, users
from tests.unit.store import seed


def test_reads_by_id_are_scoped_to_the_tenant(conn: sqlite3.Connection) -> None:
    ours, theirs = seed.tenant(conn, "ours"), seed.tenant(conn, "theirs")
    conversation = seed.conversation(conn, ours, "+15550001")
    found = conversations.conversation_of_tenant(conn, ours, conversation["id"])
    assert found is not None and found["contact_id"] == conversation["contact_id"]
    assert conversations.conversation_of_tenant(conn, theirs, conversation["id"]) is None
    assert conversations.conversation_by_id(conn, conversation["id"])["tenant_id"] == ours
    assert conversations.contact_by_id(conn, conversation["contact_id"])["external_id"] == "+15550001"
    with pytest.raises(LookupError):
        conversations.conversation_by_id(conn, conversation["id"] + 1000)


def test_assignee_tags_and_escalation(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    user_id = users.insert_user(conn, tenant_id, "ann@example.com", "Ann", "hash", "staff")
    conversation = seed.conversation(conn, tenant_id, "+15550001")
    updates.set_assignee(conn, conversation["id"], user_id)
    updates.set_tags(conn, conversation["id"], ["billing", "vip"])
    updates.mark_escalated(conn, conversation["id"])
    row = seed.row(conn, "conversations", conversation["id"])
    assert (row["assignee_id"], json.loads(row["tags"]), row["escalated"]) == (user_id, ["billing", "vip"], 1)
    updates.set_assignee(conn, conversation["id"], None)
    assert seed.row(conn, "conversations", conversation["id"])["assignee_id"] is None


def test_close_stops_the_escalation_clock_and_reopen_clears_the_close(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    conversation = seed.visitor_message(conn, seed.conversation(conn, tenant_id, "+15550001"))
    assert conversation["awaiting_since"] is not None
    updates.mark_closed(conn, conversation["id"], "2030-01-01T00:00:00.000Z")
    closed = seed.row(conn, "conversations", conversation["id"])
    assert (closed["status"], closed["closed_at"], closed["awaiting_since"]) == (
        "closed",
        "2030-01-01T00:00:00.000Z",
        None,
    )
    updates.reopen(conn, conversation["id"])
    reopened = seed.row(conn, "conversations", conversation["id"])
    assert (reopened["status"], reopened["closed_at"]) == ("open", None)


def test_visitor_read_mark_moves_forward_only(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    conversation = seed.conversation(conn, tenant_id, "visitor", "webchat")
    assert updates.set_visitor_read(conn, conversation["id"], 42)
    assert not updates.set_visitor_read(conn, conversation["id"], 41)  # an older tab's report
    assert not updates.set_visitor_read(conn, conversation["id"], 42)
    assert seed.row(conn, "conversations", conversation["id"])["visitor_read_message_id"] == 42


def test_staff_read_mark_moves_forward_only_and_never_past_the_last_message(conn: sqlite3.Connection) -> None:
    ours, theirs = seed.tenant(conn, "ours"), seed.tenant(conn, "theirs")
    conversation = seed.conversation(conn, ours, "visitor", "webchat")
    assert updates.advance_staff_read(conn, ours, conversation["id"], 5) == 0  # no message yet: capped at 0
    for _ in range(3):
        conversation = seed.visitor_message(conn, conversation)
    last = conversation["last_message_id"]

    assert updates.advance_staff_read(conn, theirs, conversation["id"], last) is None  # not their conversation
    assert updates.advance_staff_read(conn, ours, conversation["id"], last - 1) == last - 1
    assert updates.advance_staff_read(conn, ours, conversation["id"], last - 2) is None  # backwards: no move
    assert updates.advance_staff_read(conn, ours, conversation["id"], last + 100) == last


def test_unread_count_is_recounted_from_the_read_mark(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    conversation = seed.conversation(conn, tenant_id, "visitor", "webchat")
    first = seed.visitor_message(conn, conversation)["last_message_id"]
    seed.visitor_message(conn, conversation)
    seed.staff_message(conn, conversation, status="sent")  # staff messages are never unread
    seed.visitor_message(conn, conversation)
    updates.recount_unread(conn, conversation["id"], first)
    assert seed.row(conn, "conversations", conversation["id"])["unread_count"] == 2
    updates.recount_unread(conn, conversation["id"], 0)
    assert seed.row(conn, "conversations", conversation["id"])["unread_count"] == 3


def test_only_enabled_users_of_the_tenant_are_active(conn: sqlite3.Connection) -> None:
    ours, theirs = seed.tenant(conn, "ours"), seed.tenant(conn, "theirs")
    ann = users.insert_user(conn, ours, "ann@example.com", "Ann", "hash", "staff")
    bob = users.insert_user(conn, ours, "bob@example.com", "Bob", "hash", "admin")
    users.update_user(conn, ours, bob, {"disabled": 1})
    assert users.is_active_user(conn, ours, ann) is True
    assert users.is_active_user(conn, ours, bob) is False
    assert users.is_active_user(conn, theirs, ann) is False
    assert users.is_active_user(conn, ours, ann + 1000) is False
