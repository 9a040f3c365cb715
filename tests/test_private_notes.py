"""Private notes and mentions against the real server: a note reaches staff sockets only (never a visitor's
socket, resume, polled transcript or the SMS outbox), leaves the conversation as it was, and a mention
reaches only the mentioned member."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.fakes.twilio_api import FakeTwilio
from tests.sms_support import open_conversation, sms_server, sms_shop
from tests.support import (
    LiveServer,
    add_user,
    make_tenant,
    query,
    staff_socket,
    visitor_session,
    visitor_socket,
)

pytestmark = BACKENDS


def is_text(frame: dict[str, Any], text: str) -> bool:
    return frame["type"] == "message" and frame["message"]["text"] == text


def carries(frames: list[dict[str, Any]], text: str) -> bool:
    return any(text in str(frame) for frame in frames)


def conversation_row(server: LiveServer, conversation_id: int) -> dict[str, Any]:
    (row,) = query(
        server,
        "SELECT status, assignee_id, awaiting_since, escalated, unread_count, last_message_id, last_message_at"
        " FROM conversations WHERE id = ?",
        conversation_id,
    )
    keys = ("status", "assignee_id", "awaiting_since", "escalated", "unread_count", "last_message_id", "last_at")
    return dict(zip(keys, row, strict=True))


def test_a_note_reaches_the_team_only_and_leaves_the_conversation_as_it_was(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    colleague, colleague_user = add_user(admin, name="Cleo")
    bystander, _ = add_user(admin, name="Bea")
    session = visitor_session(server, key, name="Vic")
    visitor = visitor_socket(server, session)
    visitor.send({"type": "message", "text": "where is my parcel?", "client_id": "v1"})
    asked = visitor.recv_until(lambda f: f["type"] == "ack")
    conversation_id = admin.get("/admin/api/convos").json()["conversations"][0]["id"]
    admin_sock = staff_socket(server, admin.token or "")
    colleague_sock = staff_socket(server, colleague.token or "")
    bystander_sock = staff_socket(server, bystander.token or "")
    before = conversation_row(server, conversation_id)

    note = admin.post(
        "/admin/api/send",
        {
            "conversation_id": conversation_id,
            "text": "VIP: refund without asking",
            "private": True,
            "mentions": [colleague_user["id"]],
            "client_id": "n1",
        },
    )
    assert note.status_code == 200, note.text
    assert note.json()["message"]["private"] is True and note.json()["message"]["sender"] == "staff"
    assert "status" not in note.json()["message"]  # never delivered, so never read
    for sock in (admin_sock, colleague_sock, bystander_sock):
        frame = sock.recv_until(lambda f: is_text(f, "VIP: refund without asking"))
        assert frame["message"]["private"] is True
    mention = colleague_sock.recv_until(lambda f: f["type"] == "mention")
    assert mention["message"]["id"] == note.json()["message_id"]
    assert (
        mention["conversation"]["id"] == conversation_id
        and mention["by"]["id"] == note.json()["message"]["author"]["id"]
    )
    # A resent client id is stored once and mentions nobody again.
    again = admin.post(
        "/admin/api/send",
        {"conversation_id": conversation_id, "text": "VIP: refund without asking", "private": True, "client_id": "n1"},
    )
    assert again.json()["message_id"] == note.json()["message_id"]

    # The conversation is untouched: still waiting for an answer, unread, unassigned, no first response.
    assert conversation_row(server, conversation_id) == before
    assert before["awaiting_since"] is not None and before["unread_count"] == 1 and before["assignee_id"] is None
    assert query(
        server, "SELECT first_response_at FROM conversation_metrics WHERE conversation_id = ?", conversation_id
    ) == [(None,)]
    listed = admin.get(f"/admin/api/conversations/{conversation_id}").json()
    assert listed["last_message"]["id"] == asked["message_id"] and listed["unread_count"] == 1
    staff_view = admin.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"]
    assert [(m["text"], m.get("private", False)) for m in staff_view] == [
        ("where is my parcel?", False),
        ("VIP: refund without asking", True),
    ]

    # A public reply after it: the marker that proves nothing of the note came before, on every path.
    reply = admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "On its way!"})
    assert reply.status_code == 200 and "private" not in reply.json()["message"]
    seen = visitor.recv_through(lambda f: is_text(f, "On its way!"))
    assert not carries(seen, "VIP")
    # Only the mentioned member got a mention: the others' sockets reach the reply without one.
    for sock in (admin_sock, bystander_sock):
        assert not any(f["type"] == "mention" for f in sock.recv_through(lambda f: is_text(f, "On its way!")))
    back = visitor_socket(server, session)
    back.send({"type": "resume", "after": asked["message_id"]})
    replay = back.recv_through(lambda f: f["type"] == "conversation")
    assert [f["message"]["text"] for f in replay if f["type"] == "message"] == ["On its way!"]
    polled = httpx.get(
        f"{server.url}/api/v1/widget/messages",
        params={"after": 0},
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    ).json()["messages"]
    assert [m["text"] for m in polled] == ["where is my parcel?", "On its way!"]
    for sock in (visitor, back, admin_sock, colleague_sock, bystander_sock):
        sock.close()


def test_the_staff_socket_send_frame_takes_private_and_mentions(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    colleague, colleague_user = add_user(admin, name="Cleo")
    session = visitor_session(server, key)
    visitor = visitor_socket(server, session)
    visitor.send({"type": "message", "text": "hello", "client_id": "v1"})
    visitor.recv_until(lambda f: f["type"] == "ack")
    conversation_id = admin.get("/admin/api/convos").json()["conversations"][0]["id"]
    admin_sock = staff_socket(server, admin.token or "")
    colleague_sock = staff_socket(server, colleague.token or "")
    admin_sock.send(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "text": "socket note",
            "client_id": "sn1",
            "private": True,
            "mentions": [colleague_user["id"]],
        }
    )
    ack = admin_sock.recv_until(lambda f: f["type"] == "ack" and f["client_id"] == "sn1")
    mention = colleague_sock.recv_until(lambda f: f["type"] == "mention")
    assert mention["message"]["id"] == ack["message_id"] and mention["message"]["private"] is True
    # Mentions on a reply to the customer are refused, on the socket as over HTTP.
    admin_sock.send(
        {"type": "send", "conversation_id": conversation_id, "text": "x", "client_id": "bad", "mentions": [1]}
    )
    error = admin_sock.recv_until(lambda f: f["type"] == "error" and f.get("client_id") == "bad")
    assert "private" in error["detail"]
    admin_sock.send({"type": "send", "conversation_id": conversation_id, "text": "public", "client_id": "p1"})
    seen = visitor.recv_through(lambda f: is_text(f, "public"))
    assert not carries(seen, "socket note")
    for sock in (visitor, admin_sock, colleague_sock):
        sock.close()


def test_mentions_and_notes_are_checked_and_nothing_is_stored_when_refused(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    outsider_admin, _ = make_tenant(server)
    _, outsider = add_user(outsider_admin, name="Out")
    _, gone = add_user(admin, name="Gone")
    assert admin.patch(f"/api/v1/users/{gone['id']}", {"disabled": True}).status_code == 200
    session = visitor_session(server, key)
    sent = httpx.post(
        f"{server.url}/webchat", json={"text": "hi"}, headers={"Authorization": f"Bearer {session['visitor_token']}"}
    ).json()
    conversation_id = sent["conversation_id"]
    refused = [
        ({"private": True, "mentions": [outsider["id"]]}, 422, "not an active member"),
        ({"private": True, "mentions": [gone["id"]]}, 422, "not an active member"),
        ({"mentions": [gone["id"]]}, 422, "private"),
        ({"private": True, "mentions": ["x"]}, 422, "mentions"),
        ({"private": True, "mentions": list(range(1, 23))}, 422, "mentions"),
    ]
    for extra, code, detail in refused:
        response = admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "note", **extra})
        assert response.status_code == code, (extra, response.text)
        assert detail in response.json()["detail"]
    elsewhere = outsider_admin.post(
        "/admin/api/send", {"conversation_id": conversation_id, "text": "peek", "private": True}
    )
    assert elsewhere.status_code == 404
    assert query(server, "SELECT count(*) FROM messages WHERE conversation_id = ?", conversation_id) == [(1,)]


def test_a_note_does_not_reopen_a_closed_conversation_or_count_as_an_answer(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    session = visitor_session(server, key)
    sent = httpx.post(
        f"{server.url}/webchat", json={"text": "hi"}, headers={"Authorization": f"Bearer {session['visitor_token']}"}
    ).json()
    conversation_id = sent["conversation_id"]
    note = admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "spam?", "private": True})
    assert note.status_code == 200
    assert admin.patch(f"/admin/api/conversations/{conversation_id}", {"status": "closed"}).status_code == 200
    # Closed with only a note from the team: unanswered (missed), and the note is no staff message.
    assert query(
        server,
        "SELECT missed, staff_messages, first_response_at FROM conversation_metrics WHERE conversation_id = ?",
        conversation_id,
    ) == [(1, 0, None)]
    later = admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "closing note", "private": True})
    assert later.status_code == 200
    conversation = admin.get(f"/admin/api/conversations/{conversation_id}").json()
    assert conversation["status"] == "closed" and conversation["assignee"] is None


@pytest.fixture
def sms_live(make_server: Callable[..., LiveServer], tmp_path: Path, twilio: FakeTwilio) -> Iterator[LiveServer]:
    twilio.reset()
    server = sms_server(make_server, tmp_path, twilio)
    server.env["PUBLIC_BASE_URL"] = server.url
    yield server.start()
    server.stop()


def test_a_note_on_an_sms_conversation_never_reaches_the_outbox(sms_live: LiveServer, twilio: FakeTwilio) -> None:
    shop = sms_shop(sms_live, twilio, public=sms_live.url)
    _, conversation_id = open_conversation(shop)
    note = shop.admin.post(
        "/admin/api/send", {"conversation_id": conversation_id, "text": "check their order", "private": True}
    )
    assert note.status_code == 200, note.text
    assert shop.reply(conversation_id, "Thanks, looking now").status_code == 200
    path = f"/2010-04-01/Accounts/{shop.account_sid}/Messages.json"
    twilio.wait_for_requests(1, path=path)
    assert [r.form["Body"] for r in shop.requests(twilio)] == ["Thanks, looking now"]
    assert query(sms_live, "SELECT count(*) FROM outbox WHERE message_id = ?", note.json()["message_id"]) == [(0,)]
