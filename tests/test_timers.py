"""Escalation and auto-close timers (fractional settings), and what survives a restart or a crash."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx

from handoff.store.database import iso, parse_iso
from tests.conftest import BACKENDS
from tests.support import (
    LiveServer,
    admin_api,
    eventually,
    execute,
    make_tenant,
    query,
    staff_socket,
    visitor_session,
    visitor_socket,
)

pytestmark = BACKENDS


def widget_key(server: LiveServer) -> str:
    return str(admin_api(server).get("/api/v1/tenant").json()["widget_key"])


def test_unanswered_message_escalates_and_a_reply_clears_it(
    make_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = make_server(tmp_path, ESCALATE_AFTER_SECONDS="0.5", AUTO_CLOSE_MINUTES="10").start()
    try:
        admin = admin_api(server)
        staff = staff_socket(server, admin.token or "")
        visitor = visitor_socket(server, visitor_session(server, widget_key(server)))
        started = time.monotonic()
        visitor.send({"type": "message", "text": "anyone there?", "client_id": "e1"})
        escalation = staff.recv_until(lambda f: f["type"] == "escalation", timeout=5)
        assert time.monotonic() - started >= 0.5  # not before its time
        conversation_id = escalation["conversation"]["id"]
        assert escalation["conversation"]["escalated"] is True
        frames = visitor.recv_through(lambda f: f["type"] == "conversation")  # after the system message
        offer = frames[-1]
        assert offer["conversation"] == {"id": conversation_id, "status": "open", "escalated": True}
        system = next(f for f in frames if f["type"] == "message" and f["message"]["sender"] == "system")
        assert "contact details" in system["message"]["text"]
        assert admin.get(f"/admin/api/conversations/{conversation_id}").json()["escalated"] is True
        admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "Here now!"})
        assert admin.get(f"/admin/api/conversations/{conversation_id}").json()["escalated"] is False
        # Escalated once, not again on every tick (tick by tick: tests/unit/conversations/test_timers.py): the
        # staff socket got no second escalation before the reply's message, nor the audit log a second record.
        before_reply = staff.recv_through(lambda f: f["type"] == "message" and f["message"]["text"] == "Here now!")
        assert not [f for f in before_reply if f["type"] == "escalation"]
        events = [e["action"] for e in admin.get("/api/v1/events").json()["events"]]
        assert events.count("conversation.escalated") == 1
    finally:
        server.stop()


def test_idle_conversation_auto_closes_with_a_system_message(
    make_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = make_server(tmp_path, AUTO_CLOSE_MINUTES="0.02", ESCALATE_AFTER_SECONDS="300").start()
    try:
        admin = admin_api(server)
        other_admin, other_key = make_tenant(server)  # idle conversations are found tenant by tenant
        visitor = visitor_socket(server, visitor_session(server, widget_key(server)))
        other = visitor_socket(server, visitor_session(server, other_key))
        visitor.send({"type": "message", "text": "quick question", "client_id": "i1"})
        other.send({"type": "message", "text": "me too", "client_id": "o1"})
        ack = visitor.recv_until(lambda f: f["type"] == "ack")
        closed = visitor.recv_until(lambda f: f["type"] == "conversation", timeout=6)
        assert closed["conversation"]["status"] == "closed"
        assert other.recv_until(lambda f: f["type"] == "conversation", timeout=6)["conversation"]["status"] == "closed"
        assert other_admin.get("/admin/api/convos").json()["conversations"] == []
        conversation = admin.get("/admin/api/convos", params={"status": "closed"}).json()["conversations"][0]
        assert conversation["last_message"]["sender"] == "system"
        assert "inactivity" in conversation["last_message"]["text"]
        assert conversation["last_message"]["id"] > ack["message_id"]
    finally:
        server.stop()


def test_acknowledged_messages_and_timers_survive_a_crash(
    make_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = make_server(tmp_path, ESCALATE_AFTER_SECONDS="60", AUTO_CLOSE_MINUTES="10").start()
    try:
        session = visitor_session(server, widget_key(server))
        visitor = visitor_socket(server, session)
        acked = []
        for i in range(20):
            visitor.send({"type": "message", "text": f"message {i}", "client_id": f"k{i}"})
        for _ in range(20):
            acked.append(visitor.recv_until(lambda f: f["type"] == "ack")["message_id"])
        server.kill()  # no shutdown hooks: only what was committed survives
        # Crashed before the escalation deadline. While it is down, the deadline passes: the stored clock is
        # moved back past it rather than waited out.
        [(escalated, awaiting_since)] = query(server, "SELECT escalated, awaiting_since FROM conversations")
        assert escalated == 0 and awaiting_since is not None
        past_deadline = iso(parse_iso(awaiting_since) - timedelta(seconds=61))
        execute(server, "UPDATE conversations SET awaiting_since = ?", past_deadline)
        server.start()
        admin = admin_api(server)
        conversation_id = admin.get("/admin/api/convos").json()["conversations"][0]["id"]
        texts = [
            m["text"]
            for m in admin.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"]
            if m["sender"] == "visitor"
        ]
        assert texts == [f"message {i}" for i in range(20)]
        # The escalation deadline comes from the stored timestamp, so it still fires after the restart.
        eventually(lambda: admin.get(f"/admin/api/conversations/{conversation_id}").json()["escalated"])
        # The visitor keeps chatting on the same conversation with the same token.
        again = httpx.post(
            f"{server.url}/webchat",
            json={"text": "message 0", "client_id": "k0"},
            headers={"Authorization": f"Bearer {session['visitor_token']}"},
        )
        assert again.json() == {"conversation_id": conversation_id, "message_id": acked[0]}  # a resend, stored once
    finally:
        server.stop()
