"""Live web chat against the real server: visitor sessions, socket delivery guarantees, tenant isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.conftest import BACKENDS
from tests.support import (
    Api,
    LiveServer,
    Sock,
    make_tenant,
    query,
    staff_socket,
    visitor_session,
    visitor_socket,
)

pytestmark = BACKENDS


@pytest.fixture
def shop(server: LiveServer) -> tuple[Api, str]:
    return make_tenant(server)


def is_message(frame: dict, text: str | None = None) -> bool:
    return frame["type"] == "message" and (text is None or frame["message"]["text"] == text)


def test_session_rejects_unknown_widget_key(server: LiveServer) -> None:
    response = httpx.post(f"{server.url}/api/v1/widget/session", json={"widget_key": "wk_nope"})
    assert response.status_code == 404
    assert response.json() == {"detail": "unknown widget key"}


def test_session_resumes_known_visitor_and_ignores_foreign_token(server: LiveServer, shop: tuple[Api, str]) -> None:
    _, key = shop
    first = visitor_session(server, key)
    again = visitor_session(server, key, visitor_id=first["visitor_id"], visitor_token=first["visitor_token"])
    assert again["visitor_id"] == first["visitor_id"]
    assert again["settings"]["greeting"] and again["settings"]["business_name"].startswith("Shop")
    # Knowing only the id (no valid token) gets a brand-new visitor, never the old transcript.
    stranger = visitor_session(server, key, visitor_id=first["visitor_id"], visitor_token="forged")
    assert stranger["visitor_id"] != first["visitor_id"]


def test_message_acked_after_commit_and_seen_live_by_staff(server: LiveServer, shop: tuple[Api, str]) -> None:
    admin, key = shop
    staff = staff_socket(server, admin.token or "")
    session = visitor_session(server, key)
    visitor = visitor_socket(server, session)
    client_id = str(uuid.uuid4())
    visitor.send({"type": "message", "text": "Hello, is my order shipped?", "client_id": client_id})
    ack = visitor.recv_until(lambda f: f["type"] == "ack")
    assert ack["client_id"] == client_id and isinstance(ack["message_id"], int)
    # The ack means committed: an independent connection to the database sees the row right now.
    [row] = query(server, "SELECT text, sender FROM messages WHERE id = ?", ack["message_id"])
    assert row == ("Hello, is my order shipped?", "visitor")
    event = staff.recv_until(lambda f: is_message(f))
    assert event["message"]["id"] == ack["message_id"]
    assert event["message"]["channel"] == "webchat" and event["message"]["sender"] == "visitor"
    assert event["conversation"]["status"] == "open" and event["conversation"]["unread_count"] == 1
    assert event["message"]["created_at"].endswith("Z")
    visitor.close()
    staff.close()


def test_resent_client_id_is_acked_again_and_stored_once(server: LiveServer, shop: tuple[Api, str]) -> None:
    admin, key = shop
    session = visitor_session(server, key)
    visitor = visitor_socket(server, session)
    frame = {"type": "message", "text": "only once please", "client_id": "c-123"}
    visitor.send(frame)
    first = visitor.recv_until(lambda f: f["type"] == "ack")
    visitor.close()
    again = visitor_socket(server, session)  # e.g. the ack was lost with the connection
    again.send(frame)
    second = again.recv_until(lambda f: f["type"] == "ack")
    assert second["message_id"] == first["message_id"]
    over_http = httpx.post(
        f"{server.url}/webchat",
        json={"text": "only once please", "client_id": "c-123"},
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    )
    assert over_http.json()["message_id"] == first["message_id"]
    conversation_id = over_http.json()["conversation_id"]
    messages = admin.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"]
    assert [m["text"] for m in messages] == ["only once please"]
    again.close()


def test_a_resend_finds_its_message_in_a_closed_conversation_and_wakes_nothing(
    server: LiveServer, shop: tuple[Api, str]
) -> None:
    """A resend is told by the unique index when a conversation is open (nothing is looked up first): it must
    answer with the first message's id wherever that message is, store nothing, and not wake a snooze."""
    admin, key = shop
    session = visitor_session(server, key)
    visitor = visitor_socket(server, session)
    visitor.send({"type": "message", "text": "before the close", "client_id": "r-1"})
    original = visitor.recv_until(lambda f: f["type"] == "ack")["message_id"]
    [(closed_id,)] = query(server, "SELECT conversation_id FROM messages WHERE id = ?", original)
    assert admin.patch(f"/admin/api/conversations/{closed_id}", {"status": "closed"}).status_code == 200
    visitor.send({"type": "message", "text": "a new question", "client_id": "r-2"})
    newer = visitor.recv_until(lambda f: f["type"] == "ack")["message_id"]
    [(open_id,)] = query(server, "SELECT conversation_id FROM messages WHERE id = ?", newer)
    assert open_id != closed_id
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (
        admin.patch(f"/admin/api/conversations/{open_id}", {"status": "snoozed", "snoozed_until": until}).status_code
        == 200
    )
    staff = staff_socket(server, admin.token or "")
    for client_id, first_id in (("r-1", original), ("r-2", newer)):  # one from the closed thread, one from the open
        visitor.send({"type": "message", "text": "resent", "client_id": client_id})
        assert visitor.recv_until(lambda f: f["type"] == "ack")["message_id"] == first_id
    assert admin.get(f"/admin/api/conversations/{open_id}").json()["status"] == "snoozed"  # not woken
    visitor.send({"type": "message", "text": "really new", "client_id": "r-3"})
    event = staff.recv_until(lambda f: is_message(f))  # the first message event staff get is the new one
    assert event["message"]["text"] == "really new" and event["conversation"]["id"] == open_id
    stored = "SELECT text FROM messages WHERE conversation_id = ? AND sender = 'visitor' ORDER BY id"
    assert query(server, stored, closed_id) == [("before the close",)]
    assert query(server, stored, open_id) == [("a new question",), ("really new",)]
    visitor.close()
    staff.close()


def test_staff_reply_reaches_every_tab_and_resume_replays_exactly_the_missed(
    server: LiveServer, shop: tuple[Api, str]
) -> None:
    admin, key = shop
    session = visitor_session(server, key)
    tab1, tab2 = visitor_socket(server, session), visitor_socket(server, session)
    tab1.send({"type": "message", "text": "first", "client_id": "a1"})
    ack = tab1.recv_until(lambda f: f["type"] == "ack")
    tab2.recv_until(lambda f: is_message(f, "first"))  # the other tab sees the visitor's own message too
    conversation_id = admin.get("/admin/api/convos").json()["conversations"][0]["id"]
    reply = admin.post(
        "/admin/api/send", {"conversation_id": conversation_id, "text": "Yes, it shipped", "client_id": "s1"}
    )
    assert reply.status_code == 200, reply.text
    for tab in (tab1, tab2):
        frame = tab.recv_until(lambda f: is_message(f, "Yes, it shipped"))
        assert frame["message"]["sender"] == "staff" and frame["message"]["author"]["name"]
    tab2.close()
    # While tab2 is away: two more staff messages.
    admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "missed 1"})
    admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "missed 2"})
    tab1.recv_until(lambda f: is_message(f, "missed 2"))
    back = visitor_socket(server, session)
    back.send({"type": "resume", "after": reply.json()["message_id"]})
    replay = back.recv_through(lambda f: f["type"] == "conversation")  # a replay ends with the conversation's state
    replayed = [f["message"]["text"] for f in replay if f["type"] == "message"]
    assert replayed == ["missed 1", "missed 2"]
    polled = httpx.get(
        f"{server.url}/api/v1/widget/messages",
        params={"after": ack["message_id"]},
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    ).json()["messages"]
    assert [m["text"] for m in polled] == ["Yes, it shipped", "missed 1", "missed 2"]
    tab1.close()
    back.close()


def test_other_tenant_staff_receive_nothing(server: LiveServer, shop: tuple[Api, str]) -> None:
    admin, key = shop
    other_admin, other_key = make_tenant(server)
    outsider = staff_socket(server, other_admin.token or "")
    visitor = visitor_socket(server, visitor_session(server, key))
    visitor.send({"type": "message", "text": "private to my shop", "client_id": "p1"})
    visitor.recv_until(lambda f: f["type"] == "ack")  # acknowledged after it was announced
    conversation_id = admin.get("/admin/api/convos").json()["conversations"][0]["id"]
    assert other_admin.get(f"/admin/api/conversations/{conversation_id}/messages").status_code == 404
    assert other_admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "hi"}).status_code == 404
    assert other_admin.get("/admin/api/convos").json()["conversations"] == []
    # A message in the outsider's own shop, announced after ours: anything ours sent it would arrive first.
    own = visitor_socket(server, visitor_session(server, other_key))
    own.send({"type": "message", "text": "in the outsider's shop", "client_id": "o1"})
    frames = outsider.recv_through(lambda f: is_message(f, "in the outsider's shop"))
    assert not [f for f in frames[:-1] if f["type"] == "message"]
    outsider.close()
    visitor.close()
    own.close()


def test_sockets_refused_without_valid_token(server: LiveServer, shop: tuple[Api, str]) -> None:
    _, key = shop
    session = visitor_session(server, key)
    other = visitor_session(server, key)
    with pytest.raises(InvalidStatus) as refused:  # query-string token checked before the handshake
        connect(f"{server.ws_url}/ws/{session['visitor_id']}?token=garbage", open_timeout=5)
    assert refused.value.response.status_code == 403
    for token, code in ((other["visitor_token"], 4403), ("garbage", 4401)):
        sock = Sock(connect(f"{server.ws_url}/ws/{session['visitor_id']}", open_timeout=5))
        sock.send({"type": "auth", "token": token})
        with pytest.raises(ConnectionClosed) as closed:
            sock.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == code
    no_auth = Sock(connect(f"{server.ws_url}/ws/{session['visitor_id']}", open_timeout=5))
    no_auth.send({"type": "message", "text": "sneaky"})
    with pytest.raises(ConnectionClosed) as closed:
        no_auth.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    assert httpx.post(f"{server.url}/webchat", json={"text": "x"}).status_code == 401
    assert httpx.get(f"{server.url}/api/v1/widget/messages").status_code == 401
    with pytest.raises(InvalidStatus):
        connect(f"{server.ws_url}/admin-ws?token={session['visitor_token']}", open_timeout=5)


def test_query_token_still_accepted_and_redacted_from_logs(server: LiveServer, shop: tuple[Api, str]) -> None:
    _, key = shop
    session = visitor_session(server, key)
    sock = Sock(connect(f"{server.ws_url}/ws/{session['visitor_id']}?token={session['visitor_token']}", open_timeout=5))
    assert sock.recv()["type"] == "presence"
    sock.close()
    assert session["visitor_token"] not in server.log()


def test_malformed_and_oversized_frames(server: LiveServer, shop: tuple[Api, str]) -> None:
    _, key = shop
    sock = visitor_socket(server, visitor_session(server, key))
    sock.conn.send("{not json")
    assert sock.recv_until(lambda f: f["type"] == "error")["detail"]
    sock.send({"type": "message", "text": "x" * 4001, "client_id": "long"})
    error = sock.recv_until(lambda f: f["type"] == "error")
    assert "4000" in error["detail"] and error["client_id"] == "long"
    sock.send({"type": "message", "text": "still open", "client_id": "ok"})
    assert sock.recv_until(lambda f: f["type"] == "ack")["client_id"] == "ok"
    sock.conn.send("x" * (64 * 1024 + 1))
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            sock.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_webchat_http_validation(server: LiveServer, shop: tuple[Api, str]) -> None:
    _, key = shop
    session = visitor_session(server, key)
    headers = {"Authorization": f"Bearer {session['visitor_token']}"}
    too_long = httpx.post(f"{server.url}/webchat", json={"text": "y" * 4001}, headers=headers)
    assert too_long.status_code == 422 and "4000" in too_long.json()["detail"]
    assert httpx.post(f"{server.url}/webchat", json={"text": "   "}, headers=headers).status_code == 422
    assert httpx.post(f"{server.url}/webchat", json={"nope": 1}, headers=headers).status_code == 422
    ok = httpx.post(f"{server.url}/webchat", json={"text": "over http"}, headers=headers)
    assert ok.status_code == 200 and set(ok.json()) == {"conversation_id", "message_id"}


def test_session_keeps_a_valid_email_and_ignores_an_unusable_one(server: LiveServer, shop: tuple[Api, str]) -> None:
    admin, key = shop
    odd = visitor_session(server, key, name="Pat", email="pat@@nowhere")
    assert odd["visitor_id"]  # the chat still works without the email
    good = visitor_session(server, key, name="Kim", email="kim@example.com")
    httpx.post(
        f"{server.url}/webchat", json={"text": "hi"}, headers={"Authorization": f"Bearer {good['visitor_token']}"}
    )
    contact = admin.get("/admin/api/convos").json()["conversations"][0]["contact"]
    assert (contact["name"], contact["email"]) == ("Kim", "kim@example.com")


def test_resume_also_reports_the_conversation_state(server: LiveServer, shop: tuple[Api, str]) -> None:
    admin, key = shop
    session = visitor_session(server, key)
    sent = httpx.post(
        f"{server.url}/webchat", json={"text": "bye"}, headers={"Authorization": f"Bearer {session['visitor_token']}"}
    )
    admin.patch(f"/admin/api/conversations/{sent.json()['conversation_id']}", {"status": "closed"})
    sock = visitor_socket(server, session)  # was away while it closed
    sock.send({"type": "resume", "after": sent.json()["message_id"]})
    frames = sock.recv_through(lambda f: f["type"] == "conversation")  # a replay ends with the conversation's state
    assert [f["message"]["sender"] for f in frames if f["type"] == "message"] == ["system"]
    state = frames[-1]
    assert state["conversation"] == {"id": sent.json()["conversation_id"], "status": "closed", "escalated": False}
    sock.close()
