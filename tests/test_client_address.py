"""The client address behind proxies (PROXY_HOPS): forged X-Forwarded-For entries never choose it.

The tests connect from 127.0.0.2, which uvicorn does not trust for forwarded headers, so they stand where
Render's proxy stands: the last X-Forwarded-For entry is the address that proxy saw.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from handoff.web.client_address import forwarded_client
from tests.support import LiveServer, login

PROXY = "127.0.0.2"  # our stand-in for the proxy in front of Handoff


def proxy_client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, transport=httpx.HTTPTransport(local_address=PROXY), timeout=10)


def session_statuses(server: LiveServer, widget_key: str, forwarded: list[str]) -> list[int]:
    with proxy_client(server) as http:
        return [
            http.post(
                "/api/v1/widget/session", json={"widget_key": widget_key}, headers={"X-Forwarded-For": value}
            ).status_code
            for value in forwarded
        ]


def platform_widget_key(server: LiveServer) -> str:
    token = login(server)["access_token"]
    tenant = httpx.get(f"{server.url}/api/v1/tenant", headers={"Authorization": f"Bearer {token}"})
    return str(tenant.json()["widget_key"])


@pytest.fixture
def behind_one_proxy(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path, PROXY_HOPS="1", IP_REQUESTS_PER_MINUTE="5").start()
    yield server
    server.stop()


def test_forged_left_entries_never_escape_the_limit(behind_one_proxy: LiveServer) -> None:
    key = platform_widget_key(behind_one_proxy)
    forged = [f"1.2.3.{n}, 203.0.113.7" for n in range(8)]
    assert session_statuses(behind_one_proxy, key, forged) == [200] * 5 + [429] * 3


def test_clients_behind_one_proxy_have_limits_of_their_own(behind_one_proxy: LiveServer) -> None:
    key = platform_widget_key(behind_one_proxy)
    assert session_statuses(behind_one_proxy, key, ["203.0.113.1"] * 6) == [200] * 5 + [429]
    assert session_statuses(behind_one_proxy, key, ["9.9.9.9, 203.0.113.2"] * 5) == [200] * 5
    # Socket opens count against the same per-client limit.
    with pytest.raises(InvalidStatus) as refused:
        connect(
            f"{behind_one_proxy.ws_url}/ws/someone-without-a-token",
            open_timeout=5,
            source_address=(PROXY, 0),
            additional_headers={"X-Forwarded-For": "203.0.113.1"},
        )
    assert refused.value.response.status_code == 403


def test_without_proxy_hops_a_forged_header_changes_nothing(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, IP_REQUESTS_PER_MINUTE="5").start()
    try:
        key = platform_widget_key(server)
        forged = [f"1.2.3.{n}" for n in range(7)]
        assert session_statuses(server, key, forged) == [200] * 5 + [429] * 2
        with pytest.raises(InvalidStatus):
            connect(
                f"{server.ws_url}/ws/someone-without-a-token",
                open_timeout=5,
                source_address=(PROXY, 0),
                additional_headers={"X-Forwarded-For": "8.8.4.4"},
            )
    finally:
        server.stop()


def test_audit_log_and_request_logs_use_the_proxied_address(behind_one_proxy: LiveServer) -> None:
    server = behind_one_proxy
    with proxy_client(server) as http:
        signed_in = http.post(
            "/api/v1/auth/login",
            json={"email": server.admin_email, "password": server.admin_password},
            headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.9"},
        )
        assert signed_in.status_code == 200
        token = signed_in.json()["access_token"]
        events = http.get(
            "/api/v1/events", headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": "198.51.100.9"}
        ).json()["events"]
    logins = [e for e in events if e["action"] == "auth.login"]
    assert logins and logins[0]["client_address"] == "198.51.100.9"
    assert logins[0]["detail"] == {"ip": "198.51.100.9"}
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    assert any(line["client"] == "198.51.100.9" for line in lines)
    assert "6.6.6.6" not in server.log()


@pytest.mark.parametrize(
    ("headers", "hops", "expected"),
    [
        ([b"1.1.1.1, 2.2.2.2"], 1, "2.2.2.2"),
        ([b"1.1.1.1, 2.2.2.2"], 2, "1.1.1.1"),
        ([b"evil", b"3.3.3.3, 4.4.4.4"], 2, "3.3.3.3"),  # several header lines read as one list
        ([b"2.2.2.2"], 2, None),  # fewer entries than trusted proxies: keep the peer
        ([b"1.1.1.1, not-an-ip"], 1, None),
        ([b" 2001:db8::1 "], 1, "2001:db8::1"),
        ([b"1.1.1.1"], 0, None),
        ([], 1, None),
    ],
)
def test_forwarded_client(headers: list[bytes], hops: int, expected: str | None) -> None:
    assert forwarded_client(headers, hops) == expected
