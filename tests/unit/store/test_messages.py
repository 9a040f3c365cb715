"""handoff.store.messages: delivery state of stored messages."""

from __future__ import annotations

import sqlite3

from handoff.store import messages
from tests.unit.store import seed


def test_status_is_set_and_read_back(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    message_id = seed.staff_message(conn, seed.conversation(conn, tenant_id, "+15550001"))
    assert messages.status_of(conn, message_id) == "queued"
    messages.set_status(conn, message_id, "failed", "21610 unsubscribed")
    assert messages.status_of(conn, message_id) == "failed"
    assert seed.row(conn, "messages", message_id)["error"] == "21610 unsubscribed"
    messages.set_status(conn, message_id, "sent", None)
    assert seed.row(conn, "messages", message_id)["error"] is None


def test_a_provider_id_is_recorded_once_per_channel(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    sms = seed.conversation(conn, tenant_id, "+15550001")
    first, second = seed.staff_message(conn, sms), seed.staff_message(conn, sms)
    other_channel = seed.staff_message(conn, seed.conversation(conn, tenant_id, "psid", channel="messenger"))
    assert messages.by_provider_id(conn, "sms", "SM1") is None

    assert messages.record_provider_id(conn, first, "SM1") is True
    found = messages.by_provider_id(conn, "sms", "SM1")
    assert found is not None and tuple(found) == (first, tenant_id, "queued")

    assert messages.record_provider_id(conn, second, "SM1") is False  # the platform reused an id we hold
    assert seed.row(conn, "messages", second)["provider_id"] is None
    assert messages.record_provider_id(conn, other_channel, "SM1") is True  # unique per channel only
    on_messenger = messages.by_provider_id(conn, "messenger", "SM1")
    assert on_messenger is not None and on_messenger["id"] == other_channel


def test_read_receipts_mark_sent_and_delivered_staff_messages_up_to_the_mark(conn: sqlite3.Connection) -> None:
    tenant_id = seed.tenant(conn)
    conversation = seed.conversation(conn, tenant_id, "visitor-1", channel="webchat")
    sent = seed.staff_message(conn, conversation, status="sent")
    seed.visitor_message(conn, conversation)
    delivered = seed.staff_message(conn, conversation, status="delivered")
    failed = seed.staff_message(conn, conversation, status="failed")
    read = seed.staff_message(conn, conversation, status="read")
    later = seed.staff_message(conn, conversation, status="sent")
    elsewhere = seed.staff_message(conn, seed.conversation(conn, tenant_id, "visitor-2", "webchat"), status="sent")

    assert messages.mark_staff_messages_read(conn, conversation["id"], read) == [sent, delivered]
    assert [messages.status_of(conn, m) for m in (sent, delivered, failed, read, later, elsewhere)] == [
        "read",
        "read",
        "failed",
        "read",
        "sent",
        "sent",
    ]
    assert messages.mark_staff_messages_read(conn, conversation["id"], read) == []
