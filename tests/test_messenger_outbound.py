"""Messenger against the real server and a loopback Graph API, outbound: replies with their echoes and
receipts, the 24-hour window and the HUMAN_AGENT tag, long texts split and resumed, Graph errors retried or
failed, and private notes that never reach Messenger. Shared pieces in tests/messenger_support.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import BACKENDS
from tests.fakes import PASS
from tests.fakes.graph_api import FakeGraph, no_matching_user, rate_limited, temporarily_unavailable
from tests.messenger_support import (  # noqa: F401 - the module's fixtures (server, page, a fresh fake)
    Page,
    connected_page,
    fresh_graph,
    messenger_server,
    new_mid,
    now_ms,
    set_last_customer_message,
)
from tests.support import (
    LiveServer,
    eventually,
    execute,
    is_update,
    message_row,
    query,
    staff_socket,
    status_is,
)

pytestmark = BACKENDS


def test_reply_echoes_and_receipts(server: LiveServer, graph: FakeGraph, page: Page) -> None:
    staff = staff_socket(server, page.admin.token or "")
    user, conversation_id = page.open_conversation()
    message_id = page.reply(conversation_id, "Yes, we have it.").json()["message_id"]
    [request] = graph.wait_for_requests(1, path="/v21.0/me/messages")
    assert request.query["access_token"] == [page.token]
    body = request.json()
    assert body["recipient"] == {"id": user}
    assert body["messaging_type"] == "RESPONSE" and "tag" not in body
    assert body["message"]["text"] == "Yes, we have it."
    staff.recv_until(lambda f: is_update(f, message_id, "sent"))
    mid = request.reply_body["message_id"]
    assert message_row(server, message_id)["provider_id"] == mid

    # Meta echoes what the Page sent: ours (by metadata, or by mid) are not new messages...
    page.post([page.entry(page.echo(user, "Yes, we have it.", mid, metadata=body["message"]["metadata"]))])
    page.post([page.entry(page.echo(user, "Yes, we have it.", mid))])
    # ...one typed by a colleague in the Page's own inbox is kept, as a staff message without author.
    human_mid = new_mid()
    page.post([page.entry(page.echo(user, "(from the Page inbox) Anything else?", human_mid))])
    human = staff.recv_until(lambda f: f["type"] == "message" and f["message"]["sender"] == "staff")["message"]
    assert human["text"] == "(from the Page inbox) Anything else?" and "author" not in human
    texts = [
        m["text"] for m in page.admin.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"]
    ]
    assert texts == ["Hello from Messenger", "Yes, we have it.", "(from the Page inbox) Anything else?"]

    # Receipts: delivered, then read; a late delivery receipt never moves it back.
    page.post([page.entry(page.receipt(user, "delivery", now_ms(), mids=[mid]))])
    staff.recv_until(lambda f: is_update(f, message_id, "delivered"))
    page.post([page.entry(page.receipt(user, "read", now_ms()))])
    staff.recv_until(lambda f: is_update(f, message_id, "read"))
    # The webhook applies its events before it answers: once it has, the late receipt has had its chance.
    assert page.post([page.entry(page.receipt(user, "delivery", now_ms(), mids=[mid]))]).status_code == 200
    assert message_row(server, message_id)["status"] == "read"
    staff.close()


def test_watermark_covers_only_what_was_sent_before_it(server: LiveServer, graph: FakeGraph, page: Page) -> None:
    user, conversation_id = page.open_conversation()
    first = page.reply(conversation_id, "first").json()["message_id"]
    eventually(status_is(server, first, "sent"))
    second = page.reply(conversation_id, "second").json()["message_id"]
    eventually(status_is(server, second, "sent"))
    # As if the first went out a minute ago: read 30 s ago is beyond the clock-skew allowance of either send.
    minute_ago = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    execute(server, "UPDATE outbox SET sent_at = ? WHERE message_id = ?", minute_ago, first)
    read_at = now_ms() - 30_000
    page.post([page.entry(page.receipt(user, "read", read_at))])
    eventually(status_is(server, first, "read"))
    assert message_row(server, second)["status"] == "sent"


def test_window_24h_then_human_agent_tag_then_closed(server: LiveServer, graph: FakeGraph, page: Page) -> None:
    _, conversation_id = page.open_conversation()
    set_last_customer_message(server, conversation_id, timedelta(days=2))
    tagged = page.reply(conversation_id, "Following up on your question")
    assert tagged.status_code == 200
    [request] = graph.wait_for_requests(1, path="/v21.0/me/messages")
    assert request.json()["messaging_type"] == "MESSAGE_TAG" and request.json()["tag"] == "HUMAN_AGENT"
    eventually(status_is(server, tagged.json()["message_id"], "sent"))

    set_last_customer_message(server, conversation_id, timedelta(days=8))
    refused = page.reply(conversation_id, "Hello again?")
    assert refused.status_code == 409 and "7 days" in refused.json()["detail"]
    # Refused before anything was stored: the one outbox row is the tagged reply's, done; nothing else to send.
    assert query(
        server,
        "SELECT o.state FROM outbox o JOIN messages m ON m.id = o.message_id WHERE m.conversation_id = ?",
        conversation_id,
    ) == [("done",)]
    assert len(graph.sends()) == 1  # nothing more reached Meta


def test_long_text_is_split_on_words_and_resumes_after_a_failed_part(
    server: LiveServer, graph: FakeGraph, page: Page
) -> None:
    _, conversation_id = page.open_conversation()
    words = [f"word{n:04d}" for n in range(440)]  # 440 * 9 - 1 = 3,959 characters
    text = " ".join(words)
    graph.script(PASS, temporarily_unavailable())  # part 2 fails once: part 1 must not be sent again
    message_id = page.reply(conversation_id, text).json()["message_id"]
    eventually(status_is(server, message_id, "sent"))
    parts = [r.json()["message"]["text"] for r in graph.sent(page.page_id)]
    assert len(parts) == 2 and all(len(p) <= 2000 for p in parts)
    assert " ".join(parts) == text  # split between words, nothing lost
    assert all(p.split(" ")[-1] in words for p in parts)
    first_mid = graph.sent(page.page_id)[0].reply_body["message_id"]
    assert message_row(server, message_id)["provider_id"] == first_mid


def test_graph_errors_retry_or_fail(server: LiveServer, graph: FakeGraph, page: Page) -> None:
    staff = staff_socket(server, page.admin.token or "")
    _, conversation_id = page.open_conversation()
    graph.script(rate_limited(), temporarily_unavailable())
    retried = page.reply(conversation_id, "after a while").json()["message_id"]
    eventually(status_is(server, retried, "sent"))
    assert [r.reply_status for r in graph.sends()] == [400, 500, 200]
    assert [r.json()["message"]["text"] for r in graph.sent()] == ["after a while"]

    graph.reset()
    graph.script(no_matching_user())
    failed = page.reply(conversation_id, "to nobody").json()["message_id"]
    message = staff.recv_until(lambda f: is_update(f, failed, "failed"))["message"]
    assert message["error"] == "100 (2018001): No matching user found"
    # Committed with the failure, before its event: a failed row is final, so no retry can follow.
    assert query(server, "SELECT state, attempts FROM outbox WHERE message_id = ?", failed) == [("failed", 1)]
    assert len(graph.sends()) == 1
    staff.close()


def test_a_private_note_never_reaches_messenger_even_when_replies_cannot(
    server: LiveServer, graph: FakeGraph, page: Page
) -> None:
    _, conversation_id = page.open_conversation()
    note = page.admin.post(
        "/admin/api/send", {"conversation_id": conversation_id, "text": "Angry customer, be gentle", "private": True}
    )
    assert note.status_code == 200 and note.json()["message"]["private"] is True
    assert page.reply(conversation_id, "How can we help?").status_code == 200
    graph.wait_for_requests(1, path="/v21.0/me/messages")
    assert [r.json()["message"]["text"] for r in graph.sent(page.page_id)] == ["How can we help?"]
    # Past the window a reply is refused (409), a note is not: it goes nowhere near Meta.
    set_last_customer_message(server, conversation_id, timedelta(days=8))
    assert page.reply(conversation_id, "Hello again?").status_code == 409
    late = page.admin.post(
        "/admin/api/send", {"conversation_id": conversation_id, "text": "They never came back", "private": True}
    )
    assert late.status_code == 200
    notes = (note.json()["message_id"], late.json()["message_id"])
    assert query(server, "SELECT count(*) FROM outbox WHERE message_id IN (?, ?)", *notes) == [(0,)]
    assert len(graph.sends()) == 1


def test_files_are_refused_without_a_public_base_url(server: LiveServer, graph: FakeGraph, page: Page) -> None:
    """Meta fetches attachments from PUBLIC_BASE_URL, which this server lacks: 409 at once, nothing queued."""
    _, conversation_id = page.open_conversation()
    png = b"\x89PNG\r\n\x1a\n" + bytes(32)
    uploaded = httpx.post(
        f"{server.url}/api/v1/uploads",
        files={"file": ("a.png", png, "image/png")},
        headers={"Authorization": f"Bearer {page.admin.token}"},
    ).json()
    body = {"conversation_id": conversation_id, "text": "see this", "attachment_ids": [uploaded["id"]]}
    refused = page.admin.post("/admin/api/send", body)
    assert refused.status_code == 409 and "PUBLIC_BASE_URL" in refused.json()["detail"]
    assert query(
        server, "SELECT count(*) FROM messages WHERE conversation_id = ? AND sender = 'staff'", conversation_id
    ) == [(0,)]
