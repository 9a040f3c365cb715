"""Browser origins against the real server: the staff API and staff socket refuse foreign sites (cross-site
request and WebSocket hijacking), the widget is open to any site until its tenant lists `allowed_origins`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from handoff.web.origins import normalise
from tests.support import LiveServer, Sock, login, make_tenant, visitor_session

FRONTEND = "https://app.example.com"
SHOP = "https://shop.example.com"
EVIL = "https://evil.example.net"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("origins"), FRONTEND_ORIGIN=FRONTEND).start()
    yield server
    server.stop()


def own(server: LiveServer) -> str:
    return server.url  # what a browser on /admin-app/ sends as Origin


def test_the_staff_api_refuses_foreign_origins_and_serves_its_own(live: LiveServer) -> None:
    token = login(live)["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    for origin in (EVIL, "null", "https://app.example.com.evil.net", "http://127.0.0.1:1"):
        refused = httpx.get(f"{live.url}/api/v1/auth/me", headers={**auth, "Origin": origin})
        assert refused.status_code == 403 and refused.json() == {"detail": "origin not allowed"}, origin
        inbox = httpx.get(f"{live.url}/admin/api/convos", headers={**auth, "Origin": origin})
        assert inbox.status_code == 403
    # a login form posted from another site is refused too, before any password check
    forged = httpx.post(
        f"{live.url}/api/v1/auth/login",
        json={"email": live.admin_email, "password": live.admin_password},
        headers={"Origin": EVIL},
    )
    assert forged.status_code == 403
    for origin in (own(live), FRONTEND, FRONTEND.upper() + ":443", None):
        headers = {**auth, **({"Origin": origin} if origin else {})}
        assert httpx.get(f"{live.url}/api/v1/auth/me", headers=headers).status_code == 200, origin


def test_the_staff_socket_refuses_a_foreign_origin_before_the_handshake(live: LiveServer) -> None:
    token = login(live)["access_token"]
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{live.ws_url}/admin-ws", origin=EVIL, open_timeout=5)  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    for origin in (own(live), FRONTEND):
        sock = Sock(connect(f"{live.ws_url}/admin-ws", origin=origin, open_timeout=5))  # type: ignore[arg-type]
        sock.send({"type": "auth", "token": token})
        assert sock.recv_until(lambda f: f["type"] == "presence")["type"] == "presence"
        sock.close()


def test_the_widget_is_open_to_any_site_until_the_tenant_lists_its_own(live: LiveServer) -> None:
    admin, key = make_tenant(live)

    def session(origin: str | None) -> httpx.Response:
        headers = {"Origin": origin} if origin else {}
        return httpx.post(f"{live.url}/api/v1/widget/session", json={"widget_key": key}, headers=headers)

    assert session(EVIL).status_code == 200
    assert admin.get("/api/v1/tenant").json()["settings"]["allowed_origins"] == []

    bad = admin.patch("/api/v1/tenant", {"settings": {"allowed_origins": ["ftp://files.example.com"]}})
    assert bad.status_code == 422 and "not an origin" in bad.json()["detail"]
    assert admin.patch("/api/v1/tenant", {"settings": {"allowed_origins": ["https://x/path"]}}).status_code == 422
    saved = admin.patch("/api/v1/tenant", {"settings": {"allowed_origins": ["HTTPS://Shop.Example.com:443/", SHOP]}})
    assert saved.status_code == 200
    assert saved.json()["settings"]["allowed_origins"] == [SHOP]  # normalised and de-duplicated

    refused = session(EVIL)
    assert refused.status_code == 403 and refused.json() == {"detail": "this site may not use the widget"}
    allowed = session(SHOP)
    assert allowed.status_code == 200
    assert "allowed_origins" not in allowed.json()["settings"]  # staff's setting, not the widget's
    assert session(None).status_code == 200  # not a browser on a page: nothing to check

    admin.patch("/api/v1/tenant", {"settings": {"allowed_origins": []}})
    assert session(EVIL).status_code == 200


def visitor_connect(live: LiveServer, session: dict[str, str], origin: str) -> Sock:
    conn = connect(f"{live.ws_url}/ws/{session['visitor_id']}", origin=origin, open_timeout=5)  # type: ignore[arg-type]
    sock = Sock(conn)
    sock.send({"type": "auth", "token": session["visitor_token"]})
    return sock


def test_a_widget_socket_from_an_unlisted_site_is_closed_with_4403(live: LiveServer) -> None:
    admin, key = make_tenant(live)
    session = visitor_session(live, key)  # no Origin: issued before the tenant limited its sites
    assert admin.patch("/api/v1/tenant", {"settings": {"allowed_origins": [SHOP]}}).status_code == 200

    foreign = visitor_connect(live, session, EVIL)
    with pytest.raises(ConnectionClosed) as closed:
        foreign.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403

    listed = visitor_connect(live, session, SHOP)
    listed.send({"type": "message", "text": "hello from the shop", "client_id": "o-1"})
    assert listed.recv_until(lambda f: f["type"] == "ack")["client_id"] == "o-1"
    listed.close()


def test_hsts_only_when_the_public_address_is_https(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, PUBLIC_BASE_URL="https://support.example.com").start()
    try:
        answer = httpx.get(f"{server.url}/health")
        assert answer.headers["strict-transport-security"].startswith("max-age=31536000")
        # PUBLIC_BASE_URL is the app's own origin too
        token = login(server)["access_token"]
        me = httpx.get(
            f"{server.url}/api/v1/auth/me",
            headers={"Authorization": f"Bearer {token}", "Origin": "https://support.example.com"},
        )
        assert me.status_code == 200
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("https://Shop.Example.com", "https://shop.example.com"),
        ("https://shop.example.com:443/", "https://shop.example.com"),
        ("http://localhost:5173", "http://localhost:5173"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("null", None),
        ("shop.example.com", None),
        ("https://shop.example.com/checkout", None),
        ("https://user@shop.example.com", None),
        ("https://shop.example.com:99999", None),
        ("javascript:alert(1)", None),
    ],
)
def test_origin_parsing(raw: str, normal: str | None) -> None:
    assert normalise(raw) == normal
