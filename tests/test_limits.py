"""Rate limits on the public surface: per visitor (socket and /webchat) and per IP (HTTP and socket opens)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support import LiveServer, admin_api, visitor_session, visitor_socket


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
