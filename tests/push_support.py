"""Shared by the push tests (tests/test_push.py, tests/admin_browser/test_push.py): a conversation to
mention someone in, and a private note that mentions them."""

from __future__ import annotations

from tests.support import Api, LiveServer, visitor_session, visitor_socket


def open_conversation(server: LiveServer, admin: Api, widget_key: str) -> int:
    """A visitor's conversation in the admin's tenant (the newest one in its inbox)."""
    visitor = visitor_socket(server, visitor_session(server, widget_key, name="Vic"))
    visitor.send({"type": "message", "text": "hello?", "client_id": "v1"})
    visitor.recv_until(lambda f: f["type"] == "ack")
    visitor.close()
    return int(admin.get("/admin/api/convos").json()["conversations"][0]["id"])


def mention(staff: Api, conversation_id: int, user_id: int, text: str) -> None:
    body = {"conversation_id": conversation_id, "text": text, "private": True, "mentions": [user_id]}
    response = staff.post("/admin/api/send", body)
    assert response.status_code == 200, response.text
