"""The agent workspace over HTTP and the staff socket: inbox filters (assignee none, tag, channel, full text
over open conversations' messages), the tag list, snooze (woken by its time or the customer's next message,
never escalated meanwhile) and bulk changes (tenant-scoped, audited, announced)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import BACKENDS
from tests.support import (
    Api,
    LiveServer,
    add_user,
    execute,
    make_tenant,
    query,
    staff_socket,
    visitor_session,
    visitor_socket,
)

pytestmark = BACKENDS


def visitor_says(server: LiveServer, session: dict[str, Any], text: str) -> int:
    response = httpx.post(
        f"{server.url}/webchat", json={"text": text}, headers={"Authorization": f"Bearer {session['visitor_token']}"}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["conversation_id"])


def ids_of(api: Api, **params: Any) -> list[int]:
    response = api.get("/admin/api/convos", params=params)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["conversations"]]


def later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def delete(api: Api, path: str) -> httpx.Response:
    return api.http.delete(path, headers=api.headers())


def test_filters_by_assignee_tag_and_full_text(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    _, colleague = add_user(admin, name="Colleague")
    refund = visitor_says(server, visitor_session(server, key, name="Ann Lee"), "Where is my REFUND for order 4411?")
    shipping = visitor_says(server, visitor_session(server, key, name="Bo"), "shipping question")
    other = visitor_says(server, visitor_session(server, key, email="zed@example.com"), "hello")
    admin.patch(f"/admin/api/conversations/{refund}", {"tags": ["billing"], "assignee_id": colleague["id"]})
    admin.patch(f"/admin/api/conversations/{shipping}", {"tags": ["billing", "logistics"]})
    assert ids_of(admin, assignee="none") == [other, shipping]
    assert ids_of(admin, assignee="unassigned") == [other, shipping]  # the older spelling still works
    assert ids_of(admin, assignee=str(colleague["id"])) == [refund]
    assert ids_of(admin, tag="billing") == [shipping, refund]
    assert ids_of(admin, tag="logistics", assignee="none") == [shipping]
    assert ids_of(admin, tag="bill") == []  # a tag matches whole
    assert ids_of(admin, channel="webchat", tag="billing") == [shipping, refund]
    assert ids_of(admin, channel="sms") == []
    # Full text: the messages of open conversations (any case, all words) and the contact's fields.
    assert ids_of(admin, q="refund") == [refund]
    assert ids_of(admin, q="order refund") == [refund]
    assert ids_of(admin, q="4411") == [refund]
    assert ids_of(admin, q="refund parcel") == []
    assert ids_of(admin, q="zed@example") == [other]
    assert ids_of(admin, q="Ann") == [refund]
    # Closed conversations are searched by contact only (their transcripts are History's).
    admin.patch(f"/admin/api/conversations/{refund}", {"status": "closed"})
    assert ids_of(admin, q="refund", status="all") == []
    assert ids_of(admin, q="Ann", status="closed") == [refund]
    # Another tenant sees none of it.
    stranger, _ = make_tenant(server)
    assert ids_of(stranger, tag="billing") == [] and ids_of(stranger, q="shipping") == []
    assert admin.get("/admin/api/convos", params={"assignee": "nobody"}).status_code == 422
    assert admin.get("/admin/api/convos", params={"tag": "x" * 33}).status_code == 422


def test_tag_list_add_delete_and_conversation_tags_join_it(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    staff, _ = add_user(admin)
    assert admin.get("/api/v1/tags").json() == {"tags": []}
    created = staff.post("/api/v1/tags", {"name": " urgent "})
    assert created.status_code == 201 and created.json() == {"tags": ["urgent"]}
    assert staff.post("/api/v1/tags", {"name": "urgent"}).status_code == 409
    assert staff.post("/api/v1/tags", {"name": "   "}).status_code == 422
    assert staff.post("/api/v1/tags", {"name": "x" * 33}).status_code == 422
    first = visitor_says(server, visitor_session(server, key), "one")
    second = visitor_says(server, visitor_session(server, key), "two")
    staff.patch(f"/admin/api/conversations/{first}", {"tags": ["vip", "urgent"]})
    staff.patch(f"/admin/api/conversations/{second}", {"tags": ["vip"]})
    assert admin.get("/api/v1/tags").json() == {"tags": ["urgent", "vip"]}
    stranger, _ = make_tenant(server)
    assert stranger.get("/api/v1/tags").json() == {"tags": []}
    assert delete(stranger, "/api/v1/tags/vip").status_code == 404
    assert delete(staff, "/api/v1/tags/vip").status_code == 403  # admins only
    socket = staff_socket(server, admin.token or "")
    assert delete(admin, "/api/v1/tags/vip").status_code == 204
    updates = {socket.recv_until(lambda f: f["type"] == "conversation_updated")["conversation"]["id"] for _ in "12"}
    assert updates == {first, second}
    assert admin.get(f"/admin/api/conversations/{first}").json()["tags"] == ["urgent"]
    assert admin.get(f"/admin/api/conversations/{second}").json()["tags"] == []
    assert admin.get("/api/v1/tags").json() == {"tags": ["urgent"]}
    assert delete(admin, "/api/v1/tags/vip").status_code == 404
    assert admin.post("/api/v1/tags", {"name": "returns/exchanges"}).status_code == 201
    assert delete(admin, "/api/v1/tags/returns%2Fexchanges").status_code == 204
    actions = [e["action"] for e in admin.get("/api/v1/events").json()["events"]]
    assert "tag.deleted" in actions and "tag.created" in actions
    socket.close()


def test_snooze_hides_until_its_time_then_wakes_with_an_update(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    conversation_id = visitor_says(server, visitor_session(server, key), "call me back tomorrow")
    path = f"/admin/api/conversations/{conversation_id}"
    snoozed = admin.patch(path, {"status": "snoozed", "snoozed_until": later(hours=1)})
    assert snoozed.status_code == 200, snoozed.text
    assert snoozed.json()["status"] == "snoozed" and snoozed.json()["snoozed_until"].endswith("Z")
    assert ids_of(admin) == [] and ids_of(admin, status="snoozed") == [conversation_id]
    assert ids_of(admin, status="all") == [conversation_id]
    socket = staff_socket(server, admin.token or "")
    execute(
        server, "UPDATE conversations SET snoozed_until = ? WHERE id = ?", "2020-01-01T00:00:00.000Z", conversation_id
    )
    woken = socket.recv_until(
        lambda f: f["type"] == "conversation_updated" and f["conversation"]["id"] == conversation_id
    )
    assert woken["conversation"]["status"] == "open" and woken["conversation"]["snoozed_until"] is None
    assert ids_of(admin) == [conversation_id]
    woken_events = query(
        server,
        "SELECT count(*) FROM events WHERE action = 'conversation.woken' AND target_id = ?",
        str(conversation_id),
    )
    assert woken_events == [(1,)]
    # Snoozed again, then reopened by hand before its time.
    admin.patch(path, {"status": "snoozed", "snoozed_until": later(days=2)})
    assert admin.patch(path, {"status": "open"}).json()["status"] == "open"
    socket.close()


def test_the_customers_next_message_wakes_a_snooze_live(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    session = visitor_session(server, key)
    conversation_id = visitor_says(server, session, "first")
    visitor = visitor_socket(server, session)
    visitor.recv_until(lambda f: f["type"] == "presence")
    admin.patch(f"/admin/api/conversations/{conversation_id}", {"status": "snoozed", "snoozed_until": later(days=1)})
    socket = staff_socket(server, admin.token or "")
    client_id = "wake-1"
    visitor.send({"type": "message", "text": "actually, one more thing", "client_id": client_id})
    frames = socket.recv_through(lambda f: f["type"] == "conversation_updated")
    message = next(f for f in frames if f["type"] == "message")
    assert message["message"]["conversation_id"] == conversation_id
    assert message["conversation"]["status"] == "open"
    assert frames[-1]["conversation"]["status"] == "open" and frames[-1]["conversation"]["snoozed_until"] is None
    assert ids_of(admin) == [conversation_id] and ids_of(admin, status="snoozed") == []
    # The customer was never told about the snooze: nothing before their ack says "snoozed".
    seen = visitor.recv_through(lambda f: f["type"] == "ack" and f["client_id"] == client_id)
    assert not [f for f in seen if "snoozed" in str(f)]
    visitor.close()
    socket.close()


def test_a_snoozed_conversation_does_not_escalate(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    snoozed = visitor_says(server, visitor_session(server, key), "snooze me")
    waiting = visitor_says(server, visitor_session(server, key), "answer me")
    admin.patch(f"/admin/api/conversations/{snoozed}", {"status": "snoozed", "snoozed_until": later(days=1)})
    socket = staff_socket(server, admin.token or "")
    # Both have waited for ever: the timer's one batch escalates every due conversation at once.
    for conversation_id in (snoozed, waiting):
        execute(
            server,
            "UPDATE conversations SET awaiting_since = ? WHERE id = ?",
            "2020-01-01T00:00:00.000Z",
            conversation_id,
        )
    socket.recv_until(lambda f: f["type"] == "escalation" and f["conversation"]["id"] == waiting, timeout=10)
    assert admin.get(f"/admin/api/conversations/{snoozed}").json()["escalated"] is False
    socket.close()


def test_snooze_validation(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    conversation_id = visitor_says(server, visitor_session(server, key), "hi")
    path = f"/admin/api/conversations/{conversation_id}"
    assert admin.patch(path, {"status": "snoozed"}).status_code == 422
    assert admin.patch(path, {"status": "snoozed", "snoozed_until": later(hours=-1)}).status_code == 422
    assert admin.patch(path, {"status": "snoozed", "snoozed_until": "2030-01-01T10:00:00"}).status_code == 422
    assert admin.patch(path, {"status": "snoozed", "snoozed_until": later(days=400)}).status_code == 422
    assert admin.patch(path, {"snoozed_until": later(hours=1)}).status_code == 422
    assert admin.get(path).json()["status"] == "open"
    admin.patch(path, {"status": "closed"})
    assert admin.patch(path, {"status": "snoozed", "snoozed_until": later(hours=1)}).status_code == 409
    stranger, _ = make_tenant(server)
    assert stranger.patch(path, {"status": "snoozed", "snoozed_until": later(hours=1)}).status_code == 404


def test_bulk_close_assign_and_tag_skip_other_tenants(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    _, colleague = add_user(admin, name="Colleague")
    ids = [visitor_says(server, visitor_session(server, key), f"q{i}") for i in range(3)]
    stranger, stranger_key = make_tenant(server)
    foreign = visitor_says(server, visitor_session(server, stranger_key), "not yours")
    socket = staff_socket(server, admin.token or "")
    bulk = admin.post(
        "/admin/api/conversations/bulk",
        {"ids": [ids[0], ids[1], foreign, 999999], "assignee_id": colleague["id"], "add_tags": ["vip"]},
    )
    assert bulk.status_code == 200 and bulk.json() == {"updated": 2}
    seen = {socket.recv_until(lambda f: f["type"] == "conversation_updated")["conversation"]["id"] for _ in "12"}
    assert seen == {ids[0], ids[1]}
    assert ids_of(admin, tag="vip", assignee=str(colleague["id"])) == [ids[1], ids[0]]
    assert admin.get("/api/v1/tags").json() == {"tags": ["vip"]}
    untouched = stranger.get(f"/admin/api/conversations/{foreign}").json()
    assert untouched["tags"] == [] and untouched["assignee"] is None and untouched["status"] == "open"
    closed = admin.post(
        "/admin/api/conversations/bulk", {"ids": [ids[0], ids[1], foreign], "status": "closed", "remove_tags": ["vip"]}
    )
    assert closed.json() == {"updated": 2}
    assert ids_of(admin) == [ids[2]] and sorted(ids_of(admin, status="closed")) == sorted(ids[:2])
    assert stranger.get(f"/admin/api/conversations/{foreign}").json()["status"] == "open"
    assert ids_of(admin, tag="vip", status="all") == []
    # Unchanged conversations are not counted; unassigning with null works.
    assert admin.post("/admin/api/conversations/bulk", {"ids": ids[:2], "status": "closed"}).json() == {"updated": 0}
    unassigned = admin.post("/admin/api/conversations/bulk", {"ids": ids[:2], "assignee_id": None})
    assert unassigned.json() == {"updated": 2}
    audited = [
        e
        for e in admin.get("/api/v1/events", params={"limit": 100}).json()["events"]
        if (e["detail"] or {}).get("bulk")
    ]
    assert len(audited) == 6
    socket.close()


def test_bulk_validation_stores_nothing(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    conversation_id = visitor_says(server, visitor_session(server, key), "hi")
    for body in (
        {"ids": [conversation_id]},
        {"ids": [], "status": "closed"},
        {"ids": [conversation_id], "status": "archived"},
        {"ids": [conversation_id], "status": None},
        {"ids": [conversation_id], "add_tags": ["x" * 33]},
        {"ids": list(range(1, 202)), "status": "closed"},
        {"ids": [conversation_id], "status": "closed", "assignee_id": 999999},
    ):
        response = admin.post("/admin/api/conversations/bulk", body)
        assert response.status_code == 422, (body, response.text)
        assert "detail" in response.json()
    assert admin.get(f"/admin/api/conversations/{conversation_id}").json()["status"] == "open"
