"""Attachments on messages against the real server, on SQLite and PostgreSQL: `attachment_ids` on
`/admin/api/send`, `/webchat` and the visitor socket; each reader gets links that serve the bytes; only the
uploader's own ids are accepted (anyone else's is 404 and nothing is stored)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.support import Api, LiveServer, make_tenant, query, staff_socket, visitor_session, visitor_socket

pytestmark = BACKENDS

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(80))


def upload(server: LiveServer, token: str, name: str, data: bytes) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}/api/v1/uploads",
        files={"file": (name, data, "application/octet-stream")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def served(server: LiveServer, attachment: dict[str, Any]) -> bytes:
    response = httpx.get(server.url + attachment["url"])  # no header, as an <img> or a link fetches it
    assert response.status_code == 200, response.text
    return response.content


def message_count(server: LiveServer, conversation_id: int) -> int:
    [(count,)] = query(server, "SELECT count(*) FROM messages WHERE conversation_id = ?", conversation_id)
    return int(count)


def is_message(frame: dict[str, Any]) -> bool:
    return frame["type"] == "message"


@pytest.fixture
def chat(server: LiveServer) -> tuple[Api, dict[str, Any], int]:
    """A tenant of its own, a visitor who has said hello, and the conversation's id."""
    admin, key = make_tenant(server)
    session = visitor_session(server, key)
    hello = httpx.post(
        f"{server.url}/webchat", json={"text": "hello"}, headers={"Authorization": f"Bearer {session['visitor_token']}"}
    )
    assert hello.status_code == 200, hello.text
    return admin, session, int(hello.json()["conversation_id"])


def test_staff_image_reply_reaches_the_visitor_with_a_working_link(
    server: LiveServer, chat: tuple[Api, dict[str, Any], int]
) -> None:
    admin, session, conversation_id = chat
    tab = visitor_socket(server, session)
    image = upload(server, admin.token or "", "shot.png", PNG)
    sent = admin.post(
        "/admin/api/send", {"conversation_id": conversation_id, "text": "", "attachment_ids": [image["id"]]}
    )
    assert sent.status_code == 200, sent.text
    frame = tab.recv_until(lambda f: is_message(f) and f["message"]["sender"] == "staff")
    [attached] = frame["message"]["attachments"]
    assert {k: attached[k] for k in ("id", "name", "content_type", "size")} == {
        "id": image["id"],
        "name": "shot.png",
        "content_type": "image/png",
        "size": len(PNG),
    }
    assert frame["message"]["text"] == "" and served(server, attached) == PNG
    tab.close()
    # Read back later, each reader gets a link of its own that works.
    page = admin.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"]
    assert served(server, page[-1]["attachments"][0]) == PNG
    polled = httpx.get(
        f"{server.url}/api/v1/widget/messages", headers={"Authorization": f"Bearer {session['visitor_token']}"}
    ).json()["messages"]
    assert served(server, polled[-1]["attachments"][0]) == PNG


def test_visitor_attachment_reaches_staff_over_the_socket_and_http(
    server: LiveServer, chat: tuple[Api, dict[str, Any], int]
) -> None:
    admin, session, conversation_id = chat
    staff = staff_socket(server, admin.token or "")
    tab = visitor_socket(server, session)
    note = upload(server, session["visitor_token"], "order.txt", b"order 1234\n")
    tab.send({"type": "message", "text": "", "client_id": "v-att-1", "attachment_ids": [note["id"]]})
    ack = tab.recv_until(lambda f: f["type"] == "ack")
    event = staff.recv_until(lambda f: is_message(f) and f["message"]["id"] == ack["message_id"])
    [attached] = event["message"]["attachments"]
    assert attached["name"] == "order.txt" and attached["content_type"] == "text/plain"
    assert served(server, attached) == b"order 1234\n"
    image = upload(server, session["visitor_token"], "a.png", PNG)
    over_http = httpx.post(
        f"{server.url}/webchat",
        json={"text": "see this", "attachment_ids": [image["id"]]},
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    )
    assert over_http.status_code == 200, over_http.text
    event = staff.recv_until(lambda f: is_message(f) and f["message"]["id"] == over_http.json()["message_id"])
    assert event["message"]["text"] == "see this" and served(server, event["message"]["attachments"][0]) == PNG
    staff.close()
    tab.close()
    assert message_count(server, conversation_id) == 3


def test_someone_elses_upload_is_404_and_nothing_is_stored(
    server: LiveServer, chat: tuple[Api, dict[str, Any], int]
) -> None:
    admin, session, conversation_id = chat
    other, other_key = make_tenant(server)
    foreign = upload(server, other.token or "", "theirs.png", PNG)
    visitors = upload(server, session["visitor_token"], "mine.png", PNG)
    before = message_count(server, conversation_id)
    for ids in ([foreign["id"]], [visitors["id"]], [10**12]):
        refused = admin.post(
            "/admin/api/send", {"conversation_id": conversation_id, "text": "x", "attachment_ids": ids}
        )
        assert refused.status_code == 404 and "detail" in refused.json()
    stranger = visitor_session(server, other_key)
    theirs = upload(server, stranger["visitor_token"], "s.png", PNG)
    mine_http = httpx.post(
        f"{server.url}/webchat",
        json={"text": "x", "attachment_ids": [theirs["id"]]},
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    )
    assert mine_http.status_code == 404 and "detail" in mine_http.json()
    tab = visitor_socket(server, session)
    tab.send({"type": "message", "text": "x", "client_id": "v-bad", "attachment_ids": [foreign["id"]]})
    error = tab.recv_until(lambda f: f["type"] == "error")
    assert error["client_id"] == "v-bad"
    tab.close()
    assert message_count(server, conversation_id) == before


def test_bad_attachment_requests_are_422(server: LiveServer, chat: tuple[Api, dict[str, Any], int]) -> None:
    admin, session, conversation_id = chat
    before = message_count(server, conversation_id)
    for body in (
        {"conversation_id": conversation_id, "text": ""},
        {"conversation_id": conversation_id, "text": "x", "attachment_ids": ["a"]},
        {"conversation_id": conversation_id, "text": "x", "attachment_ids": list(range(1, 12))},
    ):
        refused = admin.post("/admin/api/send", body)
        assert refused.status_code == 422 and "detail" in refused.json(), body
    visitor_headers = {"Authorization": f"Bearer {session['visitor_token']}"}
    empty = httpx.post(f"{server.url}/webchat", json={"text": ""}, headers=visitor_headers)
    assert empty.status_code == 422
    tab = visitor_socket(server, session)
    tab.send({"type": "message", "text": "", "client_id": "v-x", "attachment_ids": "1"})
    assert tab.recv_until(lambda f: f["type"] == "error")["client_id"] == "v-x"
    tab.close()
    assert message_count(server, conversation_id) == before
