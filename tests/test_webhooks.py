"""Outgoing webhooks against the real server and a real loopback receiver: signed deliveries of every event,
never a private note, retries in order per conversation while the receiver is down, giving up after the
retry window, redelivery, and the endpoints' validation, roles and tenants."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import log_audit
from tests.conftest import BACKENDS
from tests.fakes import Reply
from tests.fakes.webhook_receiver import WebhookReceiver, signature_ok
from tests.support import Api, LiveServer, add_user, eventually, execute, make_tenant, query, visitor_session

pytestmark = BACKENDS
ALL_EVENTS = [
    "conversation.created",
    "message.created",
    "conversation.updated",
    "conversation.closed",
    "followup.created",
    "csat.submitted",
]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    fake = WebhookReceiver().start()
    yield fake
    fake.stop()


def subscribe(admin: Api, url: str, events: list[str] | None = None) -> tuple[int, str]:
    created = admin.post("/api/v1/webhooks", {"url": url, "events": events or ALL_EVENTS})
    assert created.status_code == 201, created.text
    body = created.json()
    log_audit.remember(body["secret"], "a webhook signing secret")
    return body["id"], body["secret"]


def say(server: LiveServer, session: dict[str, Any], text: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {session['visitor_token']}"}
    sent = httpx.post(f"{server.url}/webchat", json={"text": text, "client_id": str(uuid.uuid4())}, headers=headers)
    assert sent.status_code == 200, sent.text
    return dict(sent.json())


def events_of(receiver: WebhookReceiver) -> list[tuple[str, Any]]:
    """(event, the message text or conversation status) of each delivery, in arrival order."""
    out = []
    for request in receiver.deliveries():
        body = request.json()
        data = body["data"]
        out.append((body["event"], data["message"]["text"] if "message" in data else data.get("conversation", {})))
    return out


def deliveries(admin: Api, webhook_id: int) -> list[dict[str, Any]]:
    answer = admin.get(f"/api/v1/webhooks/{webhook_id}/deliveries")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["deliveries"])


def test_every_event_is_delivered_signed_with_the_documented_recipe(
    server: LiveServer, receiver: WebhookReceiver
) -> None:
    admin, key = make_tenant(server)
    webhook_id, secret = subscribe(admin, f"{receiver.url}/hooks/handoff")
    listed = admin.get("/api/v1/webhooks").json()["webhooks"]
    assert [w["id"] for w in listed] == [webhook_id] and "secret" not in listed[0]

    session = visitor_session(server, key)
    conversation_id = say(server, session, "hello there")["conversation_id"]
    assert admin.patch(f"/admin/api/conversations/{conversation_id}", {"tags": ["vip"]}).status_code == 200
    assert admin.patch(f"/admin/api/conversations/{conversation_id}", {"status": "closed"}).status_code == 200
    followup = httpx.post(
        f"{server.url}/followup",
        json={"widget_key": key, "name": "Ann", "email": "ann@example.com", "message": "call me"},
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    )
    assert followup.status_code == 201, followup.text

    receiver.wait_for_requests(6)
    got = [request.headers["x-handoff-event"] for request in receiver.deliveries()]
    assert got == [
        "conversation.created",
        "message.created",
        "conversation.updated",
        "message.created",  # the system message "This conversation was closed."
        "conversation.closed",
        "followup.created",
    ]
    for request in receiver.deliveries():
        assert request.path == "/hooks/handoff" and request.method == "POST"
        assert request.headers["content-type"] == "application/json"
        assert signature_ok(request, secret)
        assert request.headers["x-handoff-timestamp"].isdigit()
        body = request.json()
        assert body["event"] == request.headers["x-handoff-event"] and body["tenant_id"] > 0
    assert len({r.headers["x-handoff-delivery"] for r in receiver.deliveries()}) == 6
    bodies = [r.json()["data"] for r in receiver.deliveries()]
    assert bodies[0]["conversation"]["id"] == conversation_id
    assert bodies[1]["message"]["text"] == "hello there" and bodies[1]["conversation"]["id"] == conversation_id
    assert bodies[2]["conversation"]["tags"] == ["vip"]
    assert bodies[4]["conversation"]["status"] == "closed"
    assert bodies[5]["followup"]["message"] == "call me"
    # A wrong secret does not verify: the check is real.
    assert not signature_ok(receiver.deliveries()[0], secret + "x")

    # The receiver answered before the server wrote the attempt down: wait for the log.
    log = eventually(lambda: (found := deliveries(admin, webhook_id))[0]["delivered_at"] and found)
    assert [d["state"] for d in log] == ["delivered"] * 6
    assert log[0]["event"] == "followup.created" and log[0]["attempt_log"][0]["status_code"] == 200


def test_a_private_note_is_never_delivered(server: LiveServer, receiver: WebhookReceiver) -> None:
    admin, key = make_tenant(server)
    subscribe(admin, receiver.url, ["message.created"])
    conversation_id = say(server, visitor_session(server, key), "need help")["conversation_id"]
    note = admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "team only", "private": True})
    assert note.status_code == 200, note.text
    reply = admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "on it"})
    assert reply.status_code == 200, reply.text

    # Deliveries of one conversation go out in order: the reply's comes after where the note's would be.
    receiver.wait_for_requests(2)
    assert [text for _, text in events_of(receiver)] == ["need help", "on it"]
    assert not any(b"team only" in r.body for r in receiver.matching())
    assert not query(server, "SELECT id FROM webhook_deliveries WHERE body LIKE ?", "%team only%")


def test_a_receiver_down_for_a_while_gets_everything_once_and_in_order(
    server: LiveServer, receiver: WebhookReceiver
) -> None:
    admin, key = make_tenant(server)
    webhook_id, secret = subscribe(admin, receiver.url, ["message.created"])
    receiver.go_down()
    session = visitor_session(server, key)
    say(server, session, "one")
    # The first attempt failed (connection refused) and is logged; the rest wait behind it.
    first = eventually(lambda: [d for d in deliveries(admin, webhook_id) if d["attempts"] >= 1] or None)
    assert first[0]["state"] == "pending" and "cannot connect" in first[0]["last_error"]
    say(server, session, "two")
    say(server, session, "three")
    receiver.come_back()

    receiver.wait_for_requests(3, timeout=60)
    assert [text for _, text in events_of(receiver)] == ["one", "two", "three"]
    assert all(signature_ok(r, secret) for r in receiver.deliveries())

    def all_delivered() -> list[dict[str, Any]] | None:
        log = deliveries(admin, webhook_id)
        return log if all(d["state"] == "delivered" for d in log) else None

    assert [d["attempts"] for d in eventually(all_delivered)][-1] >= 2  # "one" (the oldest) was retried
    assert len(receiver.matching()) == 3  # each delivered exactly once


def test_deliveries_waiting_for_a_retry_survive_a_restart(
    make_server: Callable[..., LiveServer], tmp_path: Path, receiver: WebhookReceiver
) -> None:
    live = make_server(tmp_path).start()
    try:
        admin, key = make_tenant(live)
        webhook_id, secret = subscribe(admin, receiver.url, ["message.created"])
        receiver.go_down()
        say(live, visitor_session(live, key), "before the restart")
        eventually(lambda: deliveries(admin, webhook_id)[0]["attempts"] >= 1 or None)
        live.restart()
        receiver.come_back()
        [delivered] = receiver.wait_for_requests(1, timeout=60)
        assert delivered.json()["data"]["message"]["text"] == "before the restart" and signature_ok(delivered, secret)
    finally:
        live.stop()


def test_retries_stop_after_the_window_and_the_log_says_so(server: LiveServer, receiver: WebhookReceiver) -> None:
    admin, key = make_tenant(server)
    webhook_id, _ = subscribe(admin, receiver.url, ["conversation.created"])
    receiver.always = Reply(500, {"error": "boom"})
    say(server, visitor_session(server, key), "hi")
    receiver.wait_for_requests(1)
    [delivery] = eventually(lambda: [d for d in deliveries(admin, webhook_id) if d["attempts"] >= 1] or None)
    assert delivery["state"] == "pending" and delivery["last_status_code"] == 500
    [(job_id,)] = query(server, "SELECT job_id FROM webhook_deliveries WHERE id = ?", delivery["id"])

    # 24 hours pass: the job's give-up time moves into the past, its next attempt is due now.
    def out_of_time() -> bool:
        execute(  # applied while the job waits between attempts (an attempt may be running now)
            server,
            "UPDATE jobs SET give_up_at = '2000-01-01T00:00:00.000Z', next_attempt_at = '2000-01-01T00:00:00.000Z'"
            " WHERE id = ? AND status = 'queued'",
            job_id,
        )
        return query(server, "SELECT status FROM jobs WHERE id = ?", job_id) == [("dead",)]

    eventually(out_of_time, timeout=30)
    [done] = deliveries(admin, webhook_id)
    assert done["state"] == "failed" and "gave up" in done["last_error"] and "500" in done["last_error"]
    assert done["attempts"] == len(receiver.matching()) >= 2
    assert {a["status_code"] for a in done["attempt_log"]} == {500}

    # Redelivery starts over, with the same X-Handoff-Delivery.
    receiver.always = None
    again = admin.post(f"/api/v1/webhooks/{webhook_id}/deliveries/{done['id']}/redeliver")
    assert again.status_code == 202 and again.json()["state"] == "pending", again.text
    receiver.wait_for_requests(done["attempts"] + 1)
    assert receiver.deliveries()[0].headers["x-handoff-delivery"] == done["delivery_id"]
    assert eventually(lambda: deliveries(admin, webhook_id)[0]["state"] == "delivered")


def test_a_slow_receiver_never_holds_up_the_inbox_and_is_cut_off(
    make_server: Callable[..., LiveServer], tmp_path: Path, receiver: WebhookReceiver
) -> None:
    live = make_server(tmp_path, WEBHOOK_TIMEOUT_SECONDS="1").start()
    try:
        admin, key = make_tenant(live)
        webhook_id, _ = subscribe(admin, receiver.url, ["message.created"])
        receiver.delay = 30  # answers long after the server stopped waiting
        session = visitor_session(live, key)
        say(live, session, "first")
        receiver.wait_for_requests(1)  # the delivery is in flight, hanging ...
        # ... and the inbox goes on: messages are stored and answered meanwhile.
        later = say(live, session, "second")
        assert (
            admin.get(f"/admin/api/conversations/{later['conversation_id']}/messages").json()["messages"][-1]["text"]
            == "second"
        )
        [hung] = eventually(lambda: [d for d in deliveries(admin, webhook_id) if d["attempts"] >= 1] or None)
        assert hung["state"] == "pending" and hung["last_error"] == "no answer within 1 s"
        assert hung["attempt_log"][0]["duration_ms"] >= 1000
    finally:
        receiver.delay = 0
        live.stop()


def test_endpoints_are_checked_and_belong_to_their_tenant(server: LiveServer, receiver: WebhookReceiver) -> None:
    admin, _ = make_tenant(server)
    other, _ = make_tenant(server)
    for url, why in [
        ("ftp://example.com/x", "http"),
        ("http:///nohost", "http"),
        ("http://user:pw@example.com/", "user name"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
    ]:
        refused = admin.post("/api/v1/webhooks", {"url": url, "events": ["message.created"]})
        assert refused.status_code == 422 and why in refused.json()["detail"], (url, refused.text)
    assert admin.post("/api/v1/webhooks", {"url": receiver.url, "events": []}).status_code == 422
    assert admin.post("/api/v1/webhooks", {"url": receiver.url, "events": ["message.deleted"]}).status_code == 422

    webhook_id, _ = subscribe(admin, receiver.url, ["message.created", "message.created"])
    assert admin.get("/api/v1/webhooks").json()["webhooks"][0]["events"] == ["message.created"]
    patched = admin.patch(f"/api/v1/webhooks/{webhook_id}", {"events": ["conversation.closed"], "active": False})
    assert patched.status_code == 200 and patched.json()["events"] == ["conversation.closed"]
    assert patched.json()["active"] is False

    staff_api, _ = add_user(admin)
    assert staff_api.get("/api/v1/webhooks").status_code == 403
    assert other.patch(f"/api/v1/webhooks/{webhook_id}", {"active": True}).status_code == 404
    assert other.get(f"/api/v1/webhooks/{webhook_id}/deliveries").status_code == 404
    assert other.http.delete(f"/api/v1/webhooks/{webhook_id}", headers=other.headers()).status_code == 404
    assert other.get("/api/v1/webhooks").json()["webhooks"] == []
    assert admin.http.delete(f"/api/v1/webhooks/{webhook_id}", headers=admin.headers()).status_code == 204
    assert admin.get("/api/v1/webhooks").json()["webhooks"] == []
    actions = [e["action"] for e in admin.get("/api/v1/events?action=webhook").json()["events"]]
    assert actions == ["webhook.deleted", "webhook.updated", "webhook.created"]


def test_a_satisfaction_rating_is_delivered_once_rated(server: LiveServer, receiver: WebhookReceiver) -> None:
    admin, key = make_tenant(server)
    assert admin.patch("/api/v1/tenant", {"settings": {"csat": True}}).status_code == 200
    _, secret = subscribe(admin, receiver.url, ["csat.submitted"])
    session = visitor_session(server, key)
    conversation_id = say(server, session, "thanks for the help")["conversation_id"]
    assert admin.patch(f"/admin/api/conversations/{conversation_id}", {"status": "closed"}).status_code == 200
    rated = httpx.post(
        f"{server.url}/api/v1/widget/csat",
        json={"conversation_id": conversation_id, "rating": 5, "comment": "quick and kind"},
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    )
    assert rated.status_code == 201, rated.text
    receiver.wait_for_requests(1)
    [delivery] = receiver.deliveries()
    assert delivery.headers["x-handoff-event"] == "csat.submitted" and signature_ok(delivery, secret)
    survey = delivery.json()["data"]["csat"]
    assert survey["conversation_id"] == conversation_id and survey["channel"] == "webchat"
    assert (survey["rating"], survey["comment"]) == (5, "quick and kind") and survey["rated_at"]
