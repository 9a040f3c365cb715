"""Text no store can keep (NUL, an unpaired surrogate) is refused with 422 or an `error` frame, on every way
in, on both databases; legitimate text that merely looks like an escape is stored exactly."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.support import LiveServer, make_tenant, staff_socket, visitor_session, visitor_socket

pytestmark = BACKENDS
DETAIL = "text may not contain NUL characters or unpaired UTF-16 surrogates"


def post_raw(server: LiveServer, path: str, raw: bytes, token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return httpx.post(f"{server.url}{path}", content=raw, headers=headers)


def test_http_bodies_and_queries_with_unstorable_text_get_422(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    session = visitor_session(server, key)
    refused = [
        post_raw(server, "/webchat", rb'{"text": "a\u0000b", "client_id": "n-1"}', session["visitor_token"]),
        post_raw(server, "/webchat", rb'{"text": "half \ud800 a pair", "client_id": "n-2"}', session["visitor_token"]),
        post_raw(server, "/admin/api/history/import", rb'{"items": [{"transcript": "x\u0000"}]}', str(admin.token)),
        httpx.patch(
            f"{server.url}/api/v1/tenant",
            content=rb'{"settings": {"greeting": "\udc00"}}',
            headers={"Authorization": f"Bearer {admin.token}", "Content-Type": "application/json"},
        ),
        httpx.get(f"{server.url}/admin/api/history", params={"q": "a\x00b"}, headers=admin.headers()),
        httpx.get(f"{server.url}/admin/api/convos?q=%00", headers=admin.headers()),
    ]
    for answer in refused:
        assert answer.status_code == 422 and answer.json() == {"detail": DETAIL}, answer.request.url
    # nothing was stored by any of them
    assert admin.get("/admin/api/convos").json()["conversations"] == []
    assert admin.get("/api/v1/tenant").json()["settings"]["greeting"] != "\udc00"


def test_text_that_only_looks_like_an_escape_is_stored_exactly(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    session = visitor_session(server, key)
    text = "C:\\u0000 is a path; 😀 and \\ud800 are fine"
    sent = httpx.post(
        f"{server.url}/webchat",
        json={"text": text, "client_id": "e-1"},
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    )
    assert sent.status_code == 200, sent.text
    messages = admin.get(f"/admin/api/conversations/{sent.json()['conversation_id']}/messages").json()["messages"]
    assert [m["text"] for m in messages] == [text]


@pytest.mark.parametrize("who", ["visitor", "staff"])
def test_a_socket_frame_with_nul_gets_an_error_frame_and_the_socket_stays_open(server: LiveServer, who: str) -> None:
    admin, key = make_tenant(server)
    session = visitor_session(server, key)
    visitor = visitor_socket(server, session)
    visitor.send({"type": "message", "text": "first", "client_id": "s-1"})
    visitor.recv_until(lambda f: f["type"] == "ack")
    conversation_id = admin.get("/admin/api/convos").json()["conversations"][0]["id"]
    if who == "visitor":
        sock = visitor
        sock.send({"type": "message", "text": "bad\x00text", "client_id": "s-2"})
    else:
        sock = staff_socket(server, str(admin.token))
        sock.send({"type": "send", "conversation_id": conversation_id, "text": "bad\x00", "client_id": "s-3"})
    error = sock.recv_until(lambda f: f["type"] == "error")
    assert "NUL" in error["detail"]
    follow = {"type": "message", "text": "still here", "client_id": "s-4"}
    if who == "staff":
        follow = {"type": "send", "conversation_id": conversation_id, "text": "still here", "client_id": "s-5"}
    sock.send(follow)
    assert sock.recv_until(lambda f: f["type"] == "ack")["message_id"] > 0
