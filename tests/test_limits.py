"""Limits on the public surface: messages per visitor (socket and /webchat), requests and socket opens per
address, follow-ups per address and tenant, open sockets per visitor and per address."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.support import (
    LiveServer,
    Sock,
    admin_api,
    eventually,
    login,
    make_tenant,
    staff_socket,
    visitor_session,
    visitor_socket,
)


def widget_key(server: LiveServer) -> str:
    return str(admin_api(server).get("/api/v1/tenant").json()["widget_key"])


def test_visitor_rate_limit_stores_nothing_over_the_limit(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, VISITOR_MESSAGES_PER_MINUTE="3").start()
    try:
        session = visitor_session(server, widget_key(server))
        visitor = visitor_socket(server, session)
        for i in range(3):
            visitor.send({"type": "message", "text": f"m{i}", "client_id": f"m{i}"})
            visitor.recv_until(lambda f: f["type"] == "ack")
        visitor.send({"type": "message", "text": "too many", "client_id": "m3"})
        error = visitor.recv_until(lambda f: f["type"] == "error")
        assert error["client_id"] == "m3" and "slow down" in error["detail"]
        over_http = httpx.post(
            f"{server.url}/webchat",
            json={"text": "too many"},
            headers={"Authorization": f"Bearer {session['visitor_token']}"},
        )
        assert over_http.status_code == 429
        admin = admin_api(server)
        conversation_id = admin.get("/admin/api/convos").json()["conversations"][0]["id"]
        texts = [
            m["text"] for m in admin.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"]
        ]
        assert texts == ["m0", "m1", "m2"]
    finally:
        server.stop()


def test_per_ip_limit_on_public_endpoints_and_socket_opens(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, IP_REQUESTS_PER_MINUTE="4").start()
    try:
        key = widget_key(server)
        sessions = [visitor_session(server, key) for _ in range(3)]
        socket = visitor_socket(server, sessions[0])  # the 4th public call from this IP
        blocked = httpx.post(f"{server.url}/api/v1/widget/session", json={"widget_key": key})
        assert blocked.status_code == 429 and blocked.headers["Retry-After"]
        with pytest.raises(InvalidStatus):
            connect(f"{server.ws_url}/ws/{sessions[1]['visitor_id']}", open_timeout=5)
        # Staff endpoints are not throttled by the public limit.
        assert admin_api(server).get("/admin/api/convos").status_code == 200
        socket.close()
    finally:
        server.stop()


# ---- follow-ups ------------------------------------------------------------------------------------


def followup(server: LiveServer, key: str, address: str = "127.0.0.1", **body: str) -> httpx.Response:
    payload = {"widget_key": key, "name": "Ann", "email": "ann@example.com", "message": "call me", **body}
    with httpx.Client(transport=httpx.HTTPTransport(local_address=address)) as client:
        return client.post(f"{server.url}/followup", json=payload)


def test_five_followups_per_address_and_tenant_in_ten_minutes(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    _, other_key = make_tenant(server)
    assert [followup(server, key, message=f"m{i}").status_code for i in range(5)] == [201] * 5
    flood = followup(server, key, message="m5")
    assert flood.status_code == 429 and int(flood.headers["Retry-After"]) > 0 and flood.json()["detail"]
    # Another tenant, or another address, has its own allowance.
    assert followup(server, other_key).status_code == 201
    assert followup(server, key, "127.0.0.2", message="from elsewhere").status_code == 201
    stored = [f["message"] for f in admin.get("/admin/api/followups").json()["followups"]]
    assert sorted(stored) == ["from elsewhere", "m0", "m1", "m2", "m3", "m4"]


# ---- open sockets ----------------------------------------------------------------------------------


def admitted(sock: Sock) -> bool:
    """True when the server took the socket (its first frame is presence); False when it closed it."""
    try:
        return sock.recv()["type"] == "presence"
    except ConnectionClosed:
        return False


def close_code(sock: Sock) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            sock.recv()
    return closed.value.rcvd.code if closed.value.rcvd else None


def test_a_visitor_holds_at_most_ten_sockets(server: LiveServer) -> None:
    _, key = make_tenant(server)
    session = visitor_session(server, key)
    tabs = [visitor_socket(server, session) for _ in range(10)]
    assert all(admitted(tab) for tab in tabs)
    eleventh = visitor_socket(server, session)
    assert close_code(eleventh) == 1008  # and no frame came before the close
    by_query = Sock(connect(f"{server.ws_url}/ws/{session['visitor_id']}?token={session['visitor_token']}"))
    assert close_code(by_query) == 1008
    # Another visitor of the same tenant, from the same address, is not affected.
    assert admitted(visitor_socket(server, visitor_session(server, key)))
    # The ten still work, and a closed one frees its place.
    tabs[0].send({"type": "message", "text": "still here", "client_id": "c1"})
    assert tabs[0].recv_until(lambda f: f["type"] == "ack")["client_id"] == "c1"
    tabs.pop().close()
    assert eventually(lambda: admitted(visitor_socket(server, session)))
    for tab in tabs:
        tab.close()


def test_an_address_holds_at_most_its_cap_of_sockets(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, SOCKETS_PER_ADDRESS="3").start()
    try:
        token = login(server)["access_token"]
        key = widget_key(server)
        staff = staff_socket(server, token)
        first = visitor_socket(server, visitor_session(server, key))
        assert admitted(first)
        unauthenticated = connect(f"{server.ws_url}/admin-ws", open_timeout=5)  # holds a place while it waits
        for path in ("/admin-ws", f"/ws/{visitor_session(server, key)['visitor_id']}"):
            with pytest.raises(InvalidStatus) as refused:
                connect(f"{server.ws_url}{path}", open_timeout=5)
            assert refused.value.response.status_code == 403
        # Another address is not affected.
        elsewhere = Sock(connect(f"{server.ws_url}/admin-ws", open_timeout=5, source_address=("127.0.0.2", 0)))
        elsewhere.send({"type": "auth", "token": token})
        assert elsewhere.recv_until(lambda f: f["type"] == "presence")
        # Closed sockets give their places back (the server sees the close a moment later), and no more.
        staff.close()
        unauthenticated.close()
        reopened = [eventually(lambda: try_staff_socket(server, token)) for _ in range(2)]
        with pytest.raises(InvalidStatus):
            connect(f"{server.ws_url}/admin-ws", open_timeout=5)
        for sock in (*reopened, first, elsewhere):
            sock.close()
    finally:
        server.stop()


def try_staff_socket(server: LiveServer, token: str) -> Sock | None:
    try:
        return staff_socket(server, token)
    except InvalidStatus:
        return None
