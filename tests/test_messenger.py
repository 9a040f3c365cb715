"""Messenger against the real server and a loopback Graph API, inbound: the verify handshake, signed event
batches into the inbox, forged signatures, each Page in its own tenant, merged users. Replies, the 24-hour
window, long texts and Graph errors are in tests/test_messenger_outbound.py; shared pieces in
tests/messenger_support.py."""

from __future__ import annotations

import json
import secrets
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.conftest import BACKENDS
from tests.fakes.graph_api import FakeGraph, hub_signature, temporarily_unavailable
from tests.messenger_support import (  # noqa: F401 - the module's fixtures (server, page, a fresh fake)
    Page,
    connect_page,
    connected_page,
    fresh_graph,
    messenger_server,
    new_mid,
    now_ms,
    psid,
)
from tests.support import (
    LiveServer,
    eventually,
    query,
    staff_socket,
    status_is,
)

pytestmark = BACKENDS


def test_verify_handshake(server: LiveServer, page: Page) -> None:
    url = f"{server.url}/webhooks/messenger"
    ok = httpx.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": page.verify_token, "hub.challenge": "1158201444"}
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    assert ok.headers["content-type"].startswith("text/plain")
    wrong = httpx.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "nope-nope", "hub.challenge": "1"})
    not_subscribe = httpx.get(
        url, params={"hub.mode": "unsubscribe", "hub.verify_token": page.verify_token, "hub.challenge": "1"}
    )
    assert wrong.status_code == 403 and not_subscribe.status_code == 403


def test_inbound_message_with_attachment_reaches_the_inbox(server: LiveServer, page: Page, graph: FakeGraph) -> None:
    staff = staff_socket(server, page.admin.token or "")
    user = psid()
    link = f"{graph.url}/cdn/photo.jpg"  # on the fake, never the internet: the media job fetches it (a 404 here)
    image = {"type": "image", "payload": {"url": link}}
    response = page.post([page.entry(page.says(user, "Is this in stock?", attachments=[image]))])
    assert response.status_code == 200 and response.text == "EVENT_RECEIVED"
    event = staff.recv_until(lambda f: f["type"] == "message")
    assert event["message"]["channel"] == "messenger" and event["message"]["sender"] == "visitor"
    assert event["message"]["text"] == "Is this in stock?"
    assert event["message"]["attachments"] == [{"url": link, "type": "image", "content_type": "image/*"}]
    assert event["conversation"]["channel"] == "messenger" and event["conversation"]["contact"]["external_id"] == user
    staff.close()


def test_forged_signatures_are_refused_and_nothing_is_stored(server: LiveServer, page: Page) -> None:
    mid = new_mid()
    batch = [page.entry(page.says(psid(), "forged", mid=mid))]
    other_secret = page.post(batch, secret=secrets.token_hex(16))
    body = json.dumps({"object": "page", "entry": batch}).encode()
    signed = hub_signature(page.app_secret, body)
    tampered = httpx.post(
        f"{server.url}/webhooks/messenger",
        content=body.replace(b"forged", b"FORGED"),
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signed},
    )
    unsigned = httpx.post(
        f"{server.url}/webhooks/messenger", content=body, headers={"Content-Type": "application/json"}
    )
    sha1_style = httpx.post(
        f"{server.url}/webhooks/messenger",
        content=body,
        headers={"X-Hub-Signature-256": signed.removeprefix("sha256=")},
    )
    assert [r.status_code for r in (other_secret, tampered, unsigned, sha1_style)] == [403, 403, 403, 403]
    assert query(server, "SELECT count(*) FROM messages WHERE external_id = ?", mid) == [(0,)]


def test_the_signature_is_checked_before_the_body_is_parsed(server: LiveServer, page: Page) -> None:
    """Unsigned bytes are refused unread (403, not 400); only a signed body is parsed, and a bad one is a 400."""
    url = f"{server.url}/webhooks/messenger"
    for garbage in (b"{not json", b"[" * 100_000):
        forged = httpx.post(url, content=garbage, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})
        assert forged.status_code == 403
        signed = httpx.post(
            url, content=garbage, headers={"X-Hub-Signature-256": hub_signature(page.app_secret, garbage)}
        )
        assert signed.status_code == 400 and signed.json()["detail"]


def test_unknown_page_is_404(server: LiveServer, page: Page) -> None:
    body = json.dumps({"object": "page", "entry": [{"id": "999", "time": now_ms(), "messaging": []}]}).encode()
    response = httpx.post(
        f"{server.url}/webhooks/messenger",
        content=body,
        headers={"X-Hub-Signature-256": hub_signature(page.app_secret, body)},
    )
    assert response.status_code == 404


def test_every_entry_and_event_of_a_batch_is_processed(server: LiveServer, page: Page) -> None:
    alice, bob = psid(), psid()
    batch = [
        page.entry(page.says(alice, "a1"), page.says(bob, "b1")),
        page.entry(page.says(alice, "a2"), page.says(bob, "b2")),
    ]
    assert page.post(batch).status_code == 200
    for user, texts in ((alice, ["a1", "a2"]), (bob, ["b1", "b2"])):
        conversation_id = page.conversation_of(user)["id"]
        messages = page.admin.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"]
        assert [m["text"] for m in messages] == texts


def test_retried_mid_is_stored_once_even_when_concurrent(server: LiveServer, page: Page) -> None:
    user, mid = psid(), new_mid()
    event = page.says(user, "just once", mid=mid)
    assert page.post([page.entry(event)]).status_code == 200
    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(lambda _: page.post([page.entry(event)]).status_code, range(10)))
    assert statuses == [200] * 10
    assert query(server, "SELECT count(*) FROM messages WHERE external_id = ?", mid) == [(1,)]


# ---- outbound -------------------------------------------------------------------------------------


def test_each_page_lands_in_its_own_tenant(server: LiveServer, graph: FakeGraph) -> None:
    first, second = connect_page(server, graph), connect_page(server, graph)
    user_a, user_b = psid(), psid()
    first.post([first.entry(first.says(user_a, "to page one"))])
    second.post([second.entry(second.says(user_b, "to page two"))])
    [one] = first.admin.get("/admin/api/convos").json()["conversations"]
    [two] = second.admin.get("/admin/api/convos").json()["conversations"]
    assert one["last_message"]["text"] == "to page one" and two["last_message"]["text"] == "to page two"
    # A page's events signed with another tenant's app secret are refused.
    assert second.post([second.entry(second.says(user_b, "x"))], secret=first.app_secret).status_code == 403
    for page, conversation in ((first, one), (second, two)):
        sent = page.reply(conversation["id"], "thanks").json()["message_id"]
        eventually(status_is(server, sent, "sent"))
    assert len(graph.sent(first.page_id)) == 1 and len(graph.sent(second.page_id)) == 1


def test_page_token_never_reaches_the_log(server: LiveServer, graph: FakeGraph, page: Page) -> None:
    _, conversation_id = page.open_conversation()
    graph.script(temporarily_unavailable())
    sent = page.reply(conversation_id, "log check").json()["message_id"]
    eventually(status_is(server, sent, "sent"))
    assert page.token not in server.log()
    assert page.app_secret not in server.log()


def test_a_merged_messenger_user_writes_into_the_visitors_thread(server: LiveServer, page: Page) -> None:
    user, messenger_thread = page.open_conversation()
    key = page.admin.get("/api/v1/tenant").json()["widget_key"]
    session = httpx.post(f"{server.url}/api/v1/widget/session", json={"widget_key": key, "name": "Web Me"}).json()
    web = httpx.post(
        f"{server.url}/webchat",
        json={"text": "from the web"},
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    ).json()
    people = page.admin.get("/admin/api/contacts").json()["contacts"]
    visitor = next(p for p in people if p["external_id"] == session["visitor_id"])
    other = next(p for p in people if p["external_id"] == user)
    merged = page.admin.post(f"/admin/api/contacts/{visitor['id']}/merge", {"other_id": other["id"]})
    assert merged.status_code == 200, merged.text
    assert {c["id"]: c["status"] for c in merged.json()["conversations"]} == {
        web["conversation_id"]: "open",
        messenger_thread: "closed",
    }
    staff = staff_socket(server, page.admin.token or "")
    assert page.post([page.entry(page.says(user, "messenger again"))]).status_code == 200
    event = staff.recv_until(lambda f: f["type"] == "message" and f["message"]["text"] == "messenger again")
    assert event["conversation"]["id"] == web["conversation_id"]
    staff.close()
