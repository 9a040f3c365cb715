"""Escalation and auto-close timers (fractional settings), and what survives a restart or a crash."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.support import LiveServer, admin_api, make_tenant, staff_socket, visitor_session, visitor_socket


def widget_key(server: LiveServer) -> str:
    return str(admin_api(server).get("/api/v1/tenant").json()["widget_key"])


def test_unanswered_message_escalates_and_a_reply_clears_it(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, ESCALATE_AFTER_SECONDS="0.5", AUTO_CLOSE_MINUTES="10").start()
    try:
        admin = admin_api(server)
        staff = staff_socket(server, admin.token or "")
        visitor = visitor_socket(server, visitor_session(server, widget_key(server)))
        started = time.monotonic()
        visitor.send({"type": "message", "text": "anyone there?", "client_id": "e1"})
        escalation = staff.recv_until(lambda f: f["type"] == "escalation", timeout=5)
        assert 0.5 <= time.monotonic() - started < 3
        conversation_id = escalation["conversation"]["id"]
        assert escalation["conversation"]["escalated"] is True
        frames = visitor.drain(0.5)
        offer = next(f for f in frames if f["type"] == "conversation")
        assert offer["conversation"] == {"id": conversation_id, "status": "open", "escalated": True}
        system = next(f for f in frames if f["type"] == "message" and f["message"]["sender"] == "system")
        assert "contact details" in system["message"]["text"]
        assert admin.get(f"/admin/api/conversations/{conversation_id}").json()["escalated"] is True
        # Escalated once, not again on every tick.
        assert not [f for f in staff.drain(1.0) if f["type"] == "escalation"]
        admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "Here now!"})
        assert admin.get(f"/admin/api/conversations/{conversation_id}").json()["escalated"] is False
        events = [e["action"] for e in admin.get("/api/v1/events").json()["events"]]
        assert "conversation.escalated" in events
    finally:
        server.stop()


def test_idle_conversation_auto_closes_with_a_system_message(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, AUTO_CLOSE_MINUTES="0.02", ESCALATE_AFTER_SECONDS="300").start()
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


def test_acknowledged_messages_and_timers_survive_a_crash(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, ESCALATE_AFTER_SECONDS="3", AUTO_CLOSE_MINUTES="10").start()
    try:
        session = visitor_session(server, widget_key(server))
        visitor = visitor_socket(server, session)
        sent_at = time.monotonic()
        acked = []
        for i in range(20):
            visitor.send({"type": "message", "text": f"message {i}", "client_id": f"k{i}"})
        for _ in range(20):
            acked.append(visitor.recv_until(lambda f: f["type"] == "ack")["message_id"])
        server.kill()  # no shutdown hooks: only what was committed survives
        assert time.monotonic() - sent_at < 3  # crashed before the escalation deadline
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
        deadline = time.monotonic() + 10
        while not admin.get(f"/admin/api/conversations/{conversation_id}").json()["escalated"]:
            assert time.monotonic() < deadline, "escalation did not fire after the restart"
            time.sleep(0.2)
        # The visitor keeps chatting on the same conversation with the same token.
        again = httpx.post(
            f"{server.url}/webchat",
            json={"text": "message 0", "client_id": "k0"},
            headers={"Authorization": f"Bearer {session['visitor_token']}"},
        )
        assert again.json() == {"conversation_id": conversation_id, "message_id": acked[0]}  # a resend, stored once
    finally:
        server.stop()
