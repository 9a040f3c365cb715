"""Media on every channel against the real server, the loopback Twilio and Graph APIs, on SQLite and
PostgreSQL: staff files go out as MMS `MediaUrl`s and Messenger attachments by signed public links that
serve them; inbound MMS and Messenger media is fetched by a job (not while the webhook waits) and stored,
and the transcript swaps the platform link for ours; files on private notes; unattached uploads are swept."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.fakes.graph_api import FakeGraph
from tests.fakes.twilio_api import FakeTwilio, server_error
from tests.messenger_support import connect_page, new_mid, psid
from tests.sms_support import PUBLIC, open_conversation, phone, sms_shop
from tests.support import (
    LiveServer,
    eventually,
    execute,
    make_tenant,
    query,
    staff_socket,
    status_is,
    visitor_session,
    visitor_socket,
)

pytestmark = BACKENDS

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(80))
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


@pytest.fixture(scope="module")
def server(
    make_server: Callable[..., LiveServer],
    tmp_path_factory: pytest.TempPathFactory,
    twilio: FakeTwilio,
    graph: FakeGraph,
) -> Iterator[LiveServer]:
    live = make_server(
        tmp_path_factory.mktemp("media"),
        TWILIO_API_BASE=twilio.url,
        GRAPH_API_BASE=graph.base,
        PUBLIC_BASE_URL=PUBLIC,
        OUTBOX_BASE_DELAY_SECONDS="0.05",
        OUTBOX_MAX_DELAY_SECONDS="0.5",
    ).start()
    yield live
    live.stop()


@pytest.fixture(autouse=True)
def _fresh_fakes(twilio: FakeTwilio, graph: FakeGraph) -> None:
    twilio.reset()
    graph.reset()


def upload(server: LiveServer, token: str, name: str, data: bytes) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}/api/v1/uploads",
        files={"file": (name, data, "application/octet-stream")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def fetch_public(server: LiveServer, url: str) -> bytes:
    """A link handed to a platform: on PUBLIC_BASE_URL (the proxy in front of this server)."""
    assert url.startswith(f"{PUBLIC}/files/"), url
    response = httpx.get(server.url + url[len(PUBLIC) :])
    assert response.status_code == 200, response.text
    return response.content


def served(server: LiveServer, attachment: dict[str, Any]) -> bytes:
    response = httpx.get(server.url + attachment["url"])
    assert response.status_code == 200, response.text
    return response.content


def is_message(frame: dict[str, Any], message_id: int | None = None) -> bool:
    return frame["type"] == "message" and (message_id is None or frame["message"]["id"] == message_id)


def job_of(server: LiveServer, message_id: int) -> tuple[str, int]:
    """(status, attempts) of the message's media.fetch job."""
    rows = query(server, "SELECT status, attempts, payload FROM jobs WHERE kind = 'media.fetch'")
    [(status, attempts)] = [(s, a) for s, a, p in rows if json.loads(p) == {"message_id": message_id}]
    return str(status), int(attempts)


# ---- outbound --------------------------------------------------------------------------------------


def test_staff_files_go_out_as_mms_media_urls(server: LiveServer, twilio: FakeTwilio) -> None:
    shop = sms_shop(server, twilio)
    _, conversation_id = open_conversation(shop)
    image = upload(server, shop.admin.token or "", "shot.png", PNG)
    terms = upload(server, shop.admin.token or "", "terms.pdf", PDF)
    path = f"/2010-04-01/Accounts/{shop.account_sid}/Messages.json"
    body = {"conversation_id": conversation_id, "text": "Here you go", "attachment_ids": [image["id"], terms["id"]]}
    sent = shop.admin.post("/admin/api/send", body)
    assert sent.status_code == 200, sent.text
    [mms] = twilio.wait_for_requests(1, path=path)
    assert mms.form["Body"] == "Here you go"
    assert [fetch_public(server, url) for url in mms.form_values("MediaUrl")] == [PNG, PDF]
    eventually(status_is(server, sent.json()["message_id"], "sent"))
    # Files alone: no Body at all, as Twilio takes an MMS.
    alone = shop.admin.post("/admin/api/send", {"conversation_id": conversation_id, "attachment_ids": [image["id"]]})
    assert alone.status_code == 200, alone.text
    second = twilio.wait_for_requests(2, path=path)[1]
    assert "Body" not in second.form and [fetch_public(server, u) for u in second.form_values("MediaUrl")] == [PNG]
    eventually(status_is(server, alone.json()["message_id"], "sent"))


def test_staff_files_go_out_as_messenger_attachments_after_the_text(server: LiveServer, graph: FakeGraph) -> None:
    page = connect_page(server, graph)
    _, conversation_id = page.open_conversation()
    image = upload(server, page.admin.token or "", "shot.png", PNG)
    terms = upload(server, page.admin.token or "", "terms.pdf", PDF)
    body = {"conversation_id": conversation_id, "text": "Your receipt", "attachment_ids": [image["id"], terms["id"]]}
    sent = page.admin.post("/admin/api/send", body)
    assert sent.status_code == 200, sent.text
    eventually(status_is(server, sent.json()["message_id"], "sent"))
    messages = [r.json()["message"] for r in graph.sent(page.page_id)]
    assert [m.get("text") for m in messages] == ["Your receipt", None, None]
    kinds = [(m["attachment"]["type"], m["attachment"]["payload"]["is_reusable"]) for m in messages[1:]]
    assert kinds == [("image", True), ("file", True)]
    assert [fetch_public(server, m["attachment"]["payload"]["url"]) for m in messages[1:]] == [PNG, PDF]
    # One message id for the whole reply: the first part's.
    [(provider_id,)] = query(server, "SELECT provider_id FROM messages WHERE id = ?", sent.json()["message_id"])
    assert provider_id == graph.sent(page.page_id)[0].reply_body["message_id"]


# ---- inbound --------------------------------------------------------------------------------------


def test_inbound_mms_media_is_fetched_and_stored_after_the_webhook_answered(
    server: LiveServer, twilio: FakeTwilio
) -> None:
    shop = sms_shop(server, twilio)
    staff = staff_socket(server, shop.admin.token or "")
    image = twilio.media_url(shop.account_sid, PNG, "image/png")
    video = twilio.media_url(shop.account_sid, MP4, "video/mp4")
    answered = shop.text_in("look", phone(), media=((image, "image/png"), (video, "video/mp4")))
    assert answered.status_code == 200
    first = staff.recv_until(is_message)["message"]
    assert first["attachments"] == [
        {"url": image, "content_type": "image/png"},
        {"url": video, "content_type": "video/mp4"},
    ]
    updated = staff.recv_until(lambda f: is_message(f, first["id"]))["message"]
    stored, kept = updated["attachments"]
    assert stored["content_type"] == "image/png" and stored["size"] == len(PNG) and served(server, stored) == PNG
    assert kept == {"url": video, "content_type": "video/mp4"}  # a type uploads refuse stays a link
    # Fetched with the account's credentials (the fake answers 401 without), through Twilio's redirect.
    assert len(twilio.matching("/files-store/")) == 2
    assert query(server, "SELECT count(*) FROM uploads WHERE message_id = ?", first["id"]) == [(1,)]
    eventually(lambda: job_of(server, first["id"]) == ("done", 1))  # recorded once the handler has returned
    staff.close()


def test_a_failed_media_fetch_is_retried(server: LiveServer, twilio: FakeTwilio) -> None:
    shop = sms_shop(server, twilio)
    image = twilio.media_url(shop.account_sid, PNG, "image/png")
    twilio.script(server_error())  # the first fetch
    assert shop.text_in("", phone(), media=((image, "image/png"),)).status_code == 200
    [(message_id,)] = query(server, "SELECT id FROM messages WHERE attachments LIKE ?", f"%{image}%")

    def stored() -> bool:
        [(attachments,)] = query(server, "SELECT attachments FROM messages WHERE id = ?", message_id)
        return '"id"' in attachments

    eventually(stored, timeout=60)
    eventually(lambda: job_of(server, message_id) == ("done", 2))


def test_a_fetch_that_keeps_failing_gives_up_and_keeps_the_platform_link(
    server: LiveServer, twilio: FakeTwilio
) -> None:
    shop = sms_shop(server, twilio)
    image = twilio.media_url(shop.account_sid, PNG, "image/png")
    twilio.always = server_error()
    assert shop.text_in("", phone(), media=((image, "image/png"),)).status_code == 200
    [(message_id,)] = query(server, "SELECT id FROM messages WHERE attachments LIKE ?", f"%{image}%")
    eventually(lambda: job_of(server, message_id) == ("queued", 1))  # the first failure, a retry scheduled
    # Its day of retries is over (moved, not waited out): the next failure is its last.
    execute(server, "UPDATE jobs SET give_up_at = ? WHERE kind = 'media.fetch'", "2020-01-01T00:00:00.000Z")
    eventually(lambda: job_of(server, message_id)[0] == "dead", timeout=60)
    [(attachments, uploads)] = query(
        server,
        "SELECT attachments, (SELECT count(*) FROM uploads WHERE message_id = ?) FROM messages WHERE id = ?",
        message_id,
        message_id,
    )
    assert json.loads(attachments) == [{"url": image, "content_type": "image/png"}] and uploads == 0


def test_inbound_messenger_media_is_fetched_and_stored(server: LiveServer, graph: FakeGraph) -> None:
    page = connect_page(server, graph)
    staff = staff_socket(server, page.admin.token or "")
    link = graph.media_url(PNG, "image/png")
    event = page.says(psid(), "", attachments=[{"type": "image", "payload": {"url": link}}])
    assert page.post([page.entry(event)]).status_code == 200
    first = staff.recv_until(is_message)["message"]
    assert first["attachments"][0]["url"] == link
    [stored] = staff.recv_until(lambda f: is_message(f, first["id"]))["message"]["attachments"]
    assert stored["content_type"] == "image/png" and served(server, stored) == PNG
    history = page.admin.get(f"/admin/api/conversations/{first['conversation_id']}/messages").json()["messages"]
    assert served(server, history[-1]["attachments"][0]) == PNG
    staff.close()


def test_media_sent_from_the_page_inbox_is_fetched_too(server: LiveServer, graph: FakeGraph) -> None:
    page = connect_page(server, graph)
    user, conversation_id = page.open_conversation()
    staff = staff_socket(server, page.admin.token or "")
    echo = page.echo(user, "", new_mid())
    echo["message"]["attachments"] = [{"type": "image", "payload": {"url": graph.media_url(PNG, "image/png")}}]
    assert page.post([page.entry(echo)]).status_code == 200
    first = staff.recv_until(lambda f: is_message(f) and f["message"]["sender"] == "staff")["message"]
    assert first["conversation_id"] == conversation_id
    [stored] = staff.recv_until(lambda f: is_message(f, first["id"]))["message"]["attachments"]
    assert served(server, stored) == PNG
    staff.close()


# ---- notes and the sweep -------------------------------------------------------------------------


def test_files_on_a_private_note_reach_staff_only(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    session = visitor_session(server, key)
    headers = {"Authorization": f"Bearer {session['visitor_token']}"}
    hello = httpx.post(f"{server.url}/webchat", json={"text": "hello"}, headers=headers).json()
    tab = visitor_socket(server, session)
    staff = staff_socket(server, admin.token or "")
    image = upload(server, admin.token or "", "internal.png", PNG)
    body = {"conversation_id": hello["conversation_id"], "text": "", "private": True, "attachment_ids": [image["id"]]}
    note = admin.post("/admin/api/send", body)
    assert note.status_code == 200, note.text
    event = staff.recv_until(lambda f: is_message(f, note.json()["message_id"]))["message"]
    assert event["private"] is True and served(server, event["attachments"][0]) == PNG
    marker = admin.post("/admin/api/send", {"conversation_id": hello["conversation_id"], "text": "public reply"})
    seen = tab.recv_through(lambda f: is_message(f, marker.json()["message_id"]))
    assert [f["message"]["id"] for f in seen if is_message(f)] == [marker.json()["message_id"]]
    polled = httpx.get(f"{server.url}/api/v1/widget/messages", headers=headers).json()["messages"]
    assert note.json()["message_id"] not in [m["id"] for m in polled]
    tab.close()
    staff.close()


def test_uploads_no_message_took_within_a_day_are_deleted(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    session = visitor_session(server, key)
    headers = {"Authorization": f"Bearer {session['visitor_token']}"}
    kept = upload(server, session["visitor_token"], "sent.png", PNG)
    sent = httpx.post(f"{server.url}/webchat", json={"text": "", "attachment_ids": [kept["id"]]}, headers=headers)
    assert sent.status_code == 200, sent.text
    stale = upload(server, admin.token or "", "never-sent.png", PNG)
    fresh = upload(server, admin.token or "", "just-picked.png", PNG)
    old = "2020-01-01T00:00:00.000Z"
    execute(server, "UPDATE uploads SET created_at = ? WHERE id IN (?, ?)", old, kept["id"], stale["id"])
    eventually(lambda: query(server, "SELECT count(*) FROM uploads WHERE id = ?", stale["id"]) == [(0,)])
    # The same sweep saw the attached one, older still than the cutoff, and the fresh one: both stay.
    remaining = query(server, "SELECT id FROM uploads WHERE id IN (?, ?) ORDER BY id", kept["id"], fresh["id"])
    assert remaining == [(kept["id"],), (fresh["id"],)]
    assert httpx.get(server.url + stale["url"]).status_code == 403
