"""The staff inbox over HTTP and the staff socket: lists, filters, pagination, assign/close/reopen/tags,
read receipts and unread counts, typing, presence, follow-ups and history search."""

from __future__ import annotations

import httpx

from tests.conftest import BACKENDS
from tests.support import LiveServer, add_user, make_tenant, staff_socket, visitor_session, visitor_socket

pytestmark = BACKENDS


def visitor_says(server: LiveServer, session: dict, text: str) -> dict:
    response = httpx.post(
        f"{server.url}/webchat", json={"text": text}, headers={"Authorization": f"Bearer {session['visitor_token']}"}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_list_filters_and_keyset_pagination(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    colleague, colleague_user = add_user(admin, name="Colleague")
    sessions = [visitor_session(server, key, name=f"Visitor {i}") for i in range(5)]
    sent = [visitor_says(server, s, f"question {i}") for i, s in enumerate(sessions)]
    page1 = admin.get("/admin/api/convos", params={"limit": 2}).json()
    assert [c["last_message"]["text"] for c in page1["conversations"]] == ["question 4", "question 3"]
    page2 = admin.get("/admin/api/convos", params={"limit": 2, "before": page1["next_before"]}).json()
    page3 = admin.get("/admin/api/convos", params={"limit": 2, "before": page2["next_before"]}).json()
    assert [c["last_message"]["text"] for c in page2["conversations"]] == ["question 2", "question 1"]
    assert [c["last_message"]["text"] for c in page3["conversations"]] == ["question 0"]
    assert page3["next_before"] is None
    assert admin.get("/admin/api/convos", params={"before": "garbage"}).status_code == 422
    first = page1["conversations"][0]
    assert first["contact"]["name"] == "Visitor 4" and first["unread_count"] == 1 and first["channel"] == "webchat"
    # Assign one to the colleague; filters by assignee.
    assigned = admin.patch(
        f"/admin/api/conversations/{sent[0]['conversation_id']}", {"assignee_id": colleague_user["id"]}
    )
    assert assigned.status_code == 200 and assigned.json()["assignee"] == {
        "id": colleague_user["id"],
        "name": "Colleague",
    }
    mine = colleague.get("/admin/api/convos", params={"assignee": "me"}).json()["conversations"]
    assert [c["id"] for c in mine] == [sent[0]["conversation_id"]]
    unassigned = admin.get("/admin/api/convos", params={"assignee": "unassigned"}).json()["conversations"]
    assert len(unassigned) == 4
    assert admin.get("/admin/api/convos", params={"channel": "sms"}).json()["conversations"] == []
    found = admin.get("/admin/api/convos", params={"q": "Visitor 2"}).json()["conversations"]
    assert [c["contact"]["name"] for c in found] == ["Visitor 2"]


def test_all_statuses_merge_open_and_closed_by_activity(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    colleague, colleague_user = add_user(admin, name="Colleague")
    ids = [visitor_says(server, visitor_session(server, key), f"question {i}")["conversation_id"] for i in range(5)]
    for i in (0, 3):
        admin.patch(f"/admin/api/conversations/{ids[i]}", {"assignee_id": colleague_user["id"]})
    for i in (1, 3):  # closing adds a system message, so these two are now the most recent activity
        assert admin.patch(f"/admin/api/conversations/{ids[i]}", {"status": "closed"}).status_code == 200
    seen, before = [], None
    while True:
        params = {"status": "all", "limit": 2, **({"before": before} if before else {})}
        page = admin.get("/admin/api/convos", params=params).json()
        seen += [(c["id"], c["status"]) for c in page["conversations"]]
        before = page["next_before"]
        if before is None:
            break
    expected = [(ids[3], "closed"), (ids[1], "closed"), (ids[4], "open"), (ids[2], "open"), (ids[0], "open")]
    assert seen == expected
    theirs = colleague.get("/admin/api/convos", params={"status": "all", "assignee": "me"}).json()
    assert [c["id"] for c in theirs["conversations"]] == [ids[3], ids[0]]
    closed_unassigned = admin.get("/admin/api/convos", params={"status": "closed", "assignee": "unassigned"}).json()
    assert [c["id"] for c in closed_unassigned["conversations"]] == [ids[1]]


def test_close_reopen_tags_and_validation(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    session = visitor_session(server, key)
    visitor = visitor_socket(server, session)
    conversation_id = visitor_says(server, session, "please close me")["conversation_id"]
    path = f"/admin/api/conversations/{conversation_id}"
    tagged = admin.patch(path, {"tags": ["billing", " vip ", "billing"]})
    assert tagged.json()["tags"] == ["billing", "vip"]
    closed = admin.patch(path, {"status": "closed"})
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    frame = visitor.recv_until(lambda f: f["type"] == "conversation")
    assert frame["conversation"] == {"id": conversation_id, "status": "closed", "escalated": False}
    assert admin.get("/admin/api/convos").json()["conversations"] == []
    assert [c["id"] for c in admin.get("/admin/api/convos", params={"status": "closed"}).json()["conversations"]] == [
        conversation_id
    ]
    reopened = admin.patch(path, {"status": "open"})
    assert reopened.json()["status"] == "open" and reopened.json()["closed_at"] is None
    assert admin.patch(path, {}).status_code == 422
    assert admin.patch(path, {"status": "archived"}).status_code == 422
    assert admin.patch(path, {"assignee_id": 999999}).status_code == 422
    assert admin.patch("/admin/api/conversations/999999", {"status": "closed"}).status_code == 404
    other, _ = make_tenant(server)
    assert other.patch(path, {"status": "closed"}).status_code == 404
    events = [e["action"] for e in admin.get("/api/v1/events").json()["events"]]
    assert events.count("conversation.updated") >= 3
    visitor.close()


def test_staff_reply_to_closed_conversation_reopens_it(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    session = visitor_session(server, key)
    conversation_id = visitor_says(server, session, "hi")["conversation_id"]
    admin.patch(f"/admin/api/conversations/{conversation_id}", {"status": "closed"})
    reply = admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "one more thing"})
    assert reply.status_code == 200
    conversation = admin.get(f"/admin/api/conversations/{conversation_id}").json()
    assert conversation["status"] == "open" and conversation["assignee"]["id"]  # the replier took it
    assert admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "  "}).status_code == 422
    assert admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "z" * 4001}).status_code == 422


def test_read_receipts_unread_counts_typing_and_presence(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    session = visitor_session(server, key)
    assert session["staff_online"] is False
    visitor = visitor_socket(server, session)
    assert visitor.recv_until(lambda f: f["type"] == "presence")["staff_online"] is False
    staff = staff_socket(server, admin.token or "")
    assert visitor.recv_until(lambda f: f["type"] == "presence")["staff_online"] is True
    assert visitor_session(server, key)["staff_online"] is True
    visitor.send({"type": "message", "text": "one", "client_id": "r1"})
    visitor.send({"type": "message", "text": "two", "client_id": "r2"})
    last = staff.recv_until(lambda f: f["type"] == "message" and f["message"]["text"] == "two")
    conversation_id = last["message"]["conversation_id"]
    visitor.send({"type": "typing"})
    typing = staff.recv_until(lambda f: f["type"] == "typing")
    assert typing == {"type": "typing", "conversation_id": conversation_id, "sender": "visitor"}
    assert last["conversation"]["unread_count"] == 2
    staff.send({"type": "read", "conversation_id": conversation_id, "message_id": last["message"]["id"]})
    updated = staff.recv_until(lambda f: f["type"] == "conversation_updated")
    assert updated["conversation"]["unread_count"] == 0
    staff.send({"type": "typing", "conversation_id": conversation_id})
    assert visitor.recv_until(lambda f: f["type"] == "typing")["type"] == "typing"
    reply = admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "answer"}).json()
    assert reply["message"]["status"] == "sent"
    visitor.send({"type": "read", "message_id": reply["message_id"]})
    seen = staff.recv_until(lambda f: f["type"] == "message" and f["message"].get("status") == "read")
    assert seen["message"]["id"] == reply["message_id"]
    assert seen["conversation"]["visitor_read_message_id"] == reply["message_id"]
    staff.send({"type": "read", "conversation_id": "x"})
    assert staff.recv_until(lambda f: f["type"] == "error")["detail"]
    staff.close()
    assert visitor.recv_until(lambda f: f["type"] == "presence")["staff_online"] is False
    visitor.close()


def test_followups_from_widget_reach_staff_live(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    staff = staff_socket(server, admin.token or "")
    session = visitor_session(server, key)
    missing = httpx.post(f"{server.url}/followup", json={"widget_key": key, "name": "Ann", "message": "call me"})
    assert missing.status_code == 422 and "email or a phone" in missing.json()["detail"]
    bad_phone = httpx.post(
        f"{server.url}/followup", json={"widget_key": key, "name": "Ann", "phone": "call me maybe", "message": "m"}
    )
    assert bad_phone.status_code == 422 and "phone number with digits" in bad_phone.json()["detail"]
    unknown = httpx.post(
        f"{server.url}/followup", json={"widget_key": "wk_nope", "name": "A", "email": "a@example.com", "message": "m"}
    )
    assert unknown.status_code == 404
    created = httpx.post(
        f"{server.url}/followup",
        json={"widget_key": key, "name": "Ann", "email": "ann@example.com", "message": "call me"},
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    )
    assert created.status_code == 201
    event = staff.recv_until(lambda f: f["type"] == "followup")
    assert event["followup"]["id"] == created.json()["id"] and event["followup"]["email"] == "ann@example.com"
    listed = admin.get("/admin/api/followups", params={"status": "new"}).json()["followups"]
    assert [f["id"] for f in listed] == [created.json()["id"]]
    viewed = admin.post("/admin/api/mark-followup-viewed", {"id": created.json()["id"]})
    assert viewed.status_code == 200 and viewed.json()["viewed_at"]
    assert admin.get("/admin/api/followups", params={"status": "new"}).json()["followups"] == []
    other, _ = make_tenant(server)
    assert other.post("/admin/api/mark-followup-viewed", {"id": created.json()["id"]}).status_code == 404
    assert other.get("/admin/api/followups").json()["followups"] == []
    staff.close()


def test_history_full_text_search_over_closed_and_imported(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    session = visitor_session(server, key, name="Zoë Archer")
    conversation_id = visitor_says(server, session, "My parcel with the turquoise teapot never arrived")[
        "conversation_id"
    ]
    assert admin.get("/admin/api/history", params={"q": "turquoise"}).json()["results"] == []  # still open
    admin.patch(f"/admin/api/conversations/{conversation_id}", {"status": "closed"})
    imported = admin.post(
        "/admin/api/history/import",
        {
            "items": [
                {
                    "channel": "sms",
                    "contact_name": "Old Customer",
                    "transcript": "Customer: the turquoise lamp flickers",
                    "started_at": "2024-01-01T10:00:00Z",
                    "ended_at": "2024-01-01T10:30:00Z",
                }
            ]
        },
    )
    assert imported.status_code == 201
    hits = admin.get("/admin/api/history", params={"q": "turquoise"}).json()["results"]
    assert {(h["kind"], h["id"]) for h in hits} == {
        ("conversation", conversation_id),
        ("imported", imported.json()["ids"][0]),
    }
    assert all("turquoise" in h["snippet"] for h in hits)
    assert [
        h["kind"] for h in admin.get("/admin/api/history", params={"q": "turq", "channel": "sms"}).json()["results"]
    ] == ["imported"]
    assert (
        admin.get("/admin/api/history", params={"q": "zoe"}).json()["results"][0]["id"] == conversation_id
    )  # diacritics folded
    assert admin.get("/admin/api/history", params={"q": 'teapot" OR "x'}).status_code == 200  # no FTS syntax injection
    listing = admin.get("/admin/api/history").json()["results"]
    assert len(listing) == 2
    dated = admin.get("/admin/api/history", params={"from": "2024-01-01", "to": "2024-01-01"}).json()["results"]
    assert [h["kind"] for h in dated] == ["imported"]
    transcript = admin.get(f"/admin/api/history/imported/{imported.json()['ids'][0]}").json()
    assert transcript["transcript"].startswith("Customer:")
    other, _ = make_tenant(server)
    assert other.get("/admin/api/history", params={"q": "turquoise"}).json()["results"] == []
    assert other.get(f"/admin/api/history/imported/{imported.json()['ids'][0]}").status_code == 404
    staff_api, _ = add_user(admin)
    assert staff_api.post("/admin/api/history/import", {"items": [{"transcript": "x"}]}).status_code == 403


def test_visitor_can_close_their_conversation(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    session = visitor_session(server, key)
    headers = {"Authorization": f"Bearer {session['visitor_token']}"}
    assert httpx.post(f"{server.url}/handoff/close", headers=headers).json() == {
        "closed": False,
        "conversation_id": None,
    }
    conversation_id = visitor_says(server, session, "bye")["conversation_id"]
    closed = httpx.post(f"{server.url}/handoff/close", headers=headers).json()
    assert closed == {"closed": True, "conversation_id": conversation_id}
    assert admin.get(f"/admin/api/conversations/{conversation_id}").json()["status"] == "closed"
    assert httpx.post(f"{server.url}/handoff/close").status_code == 401
    # The next message starts a new conversation.
    assert visitor_says(server, session, "hello again")["conversation_id"] != conversation_id


def test_staff_can_reply_over_the_socket(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    staff = staff_socket(server, admin.token or "")
    session = visitor_session(server, key)
    visitor = visitor_socket(server, session)
    conversation_id = visitor_says(server, session, "hello?")["conversation_id"]
    for i in range(5):  # sent back to back: the socket reads on while earlier ones commit
        staff.send({"type": "send", "conversation_id": conversation_id, "text": f"reply {i}", "client_id": f"s{i}"})
    acks = [staff.recv_until(lambda f: f["type"] == "ack") for _ in range(5)]
    assert sorted(a["client_id"] for a in acks) == [f"s{i}" for i in range(5)]
    received = [
        visitor.recv_until(lambda f: f["type"] == "message" and f["message"]["sender"] == "staff")["message"]["text"]
        for _ in range(5)
    ]
    assert received == [f"reply {i}" for i in range(5)]  # stored and delivered in the order typed
    staff.send({"type": "send", "conversation_id": conversation_id, "text": "reply 0", "client_id": "s0"})
    assert (
        staff.recv_until(lambda f: f["type"] == "ack")["message_id"]
        == next(a for a in acks if a["client_id"] == "s0")["message_id"]
    )
    staff.send({"type": "send", "conversation_id": conversation_id, "text": "", "client_id": "bad"})
    assert staff.recv_until(lambda f: f["type"] == "error")["client_id"] == "bad"
    other_admin, _ = make_tenant(server)
    outsider = staff_socket(server, other_admin.token or "")
    outsider.send({"type": "send", "conversation_id": conversation_id, "text": "hijack", "client_id": "x"})
    assert outsider.recv_until(lambda f: f["type"] == "error")["detail"] == "conversation not found"
    texts = [m["text"] for m in admin.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"]]
    assert texts == ["hello?"] + [f"reply {i}" for i in range(5)]
    for sock in (staff, visitor, outsider):
        sock.close()
