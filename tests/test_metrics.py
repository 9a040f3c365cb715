"""GET /metrics against the real server: the text parses with prometheus_client's own parser, the counters
move when a visitor writes and staff answer, the socket gauges follow connects and disconnects, the outbox's
depth and attempts follow a failing and recovering Twilio, routes are labelled by template, and only
loopback clients (or, with METRICS_TOKEN, its bearers) may read."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import BACKENDS
from tests.fakes.twilio_api import FakeTwilio, invalid_number, server_error
from tests.sms_support import open_conversation, sms_server, sms_shop
from tests.support import (
    LiveServer,
    eventually,
    make_tenant,
    staff_socket,
    status_is,
    visitor_session,
    visitor_socket,
)

pytestmark = BACKENDS
PROXY = "127.0.0.2"  # stands where a proxy in front of Handoff stands (see test_client_address.py)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(server: LiveServer, **kw: Any) -> Samples:
    response = httpx.get(f"{server.url}/metrics", **kw)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_the_text_parses_and_names_every_family(server: LiveServer) -> None:
    text = httpx.get(f"{server.url}/metrics").text
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {
        "handoff_messages",
        "handoff_open_sockets",
        "handoff_queue_depth",
        "handoff_queue_oldest_age_seconds",
        "handoff_queue_attempts",
        "handoff_db_commit_seconds",
        "handoff_http_request_duration_seconds",
        "handoff_http_responses",
        "process_resident_memory_bytes",
    } <= names
    if not server.database_url:
        assert "handoff_db_commit_batch_size" in names


def test_messages_in_and_out_move_the_counters_and_commits(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    before = scrape(server)
    visitor = visitor_socket(server, visitor_session(server, key))
    visitor.send({"type": "message", "text": "hello", "client_id": "m1"})
    visitor.recv_until(lambda f: f["type"] == "ack")
    conversation_id = admin.get("/admin/api/convos").json()["conversations"][0]["id"]
    assert admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "hi!"}).status_code == 200
    visitor.recv_until(lambda f: f["type"] == "message" and f["message"]["text"] == "hi!")
    visitor.close()
    after = scrape(server)
    for direction in ("in", "out"):
        moved = value(after, "handoff_messages_total", channel="webchat", direction=direction) - value(
            before, "handoff_messages_total", channel="webchat", direction=direction
        )
        assert moved == 1, direction
    database = "postgresql" if server.database_url else "sqlite"
    commits = "handoff_db_commit_seconds_count"
    assert value(after, commits, database=database) >= value(before, commits, database=database) + 2
    if database == "sqlite":
        assert value(after, "handoff_db_commit_batch_size_sum") >= value(before, "handoff_db_commit_batch_size_sum") + 2


def test_socket_gauges_follow_connects_and_disconnects(server: LiveServer) -> None:
    admin, key = make_tenant(server)

    def sockets(kind: str) -> float:
        return value(scrape(server), "handoff_open_sockets", kind=kind)

    visitors, staff = sockets("visitor"), sockets("staff")
    tab = visitor_socket(server, visitor_session(server, key))
    tab.recv_until(lambda f: f["type"] == "presence")  # registered with the hub before this frame is queued
    member = staff_socket(server, str(admin.token))
    assert sockets("visitor") == visitors + 1 and sockets("staff") == staff + 1
    tab.close()
    member.close()
    eventually(lambda: sockets("visitor") == visitors and sockets("staff") == staff)


def test_routes_are_labelled_by_template(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    visitor = visitor_socket(server, visitor_session(server, key))
    visitor.send({"type": "message", "text": "hello", "client_id": "m1"})
    visitor.recv_until(lambda f: f["type"] == "ack")
    visitor.close()
    conversation_id = admin.get("/admin/api/convos").json()["conversations"][0]["id"]
    assert admin.get(f"/admin/api/conversations/{conversation_id}/messages").status_code == 200
    stray = f"/no-such-page-{uuid.uuid4().hex}"
    assert httpx.get(f"{server.url}{stray}").status_code == 404
    text = httpx.get(f"{server.url}/metrics").text
    samples = scrape(server)
    template = "/admin/api/conversations/{conversation_id}/messages"
    assert value(samples, "handoff_http_responses_total", method="GET", route=template, status="200") >= 1
    assert value(samples, "handoff_http_request_duration_seconds_count", method="GET", route=template) >= 1
    assert value(samples, "handoff_http_responses_total", method="GET", route="unmatched", status="404") >= 1
    assert f"/admin/api/conversations/{conversation_id}/messages" not in text
    assert stray not in text


def test_the_outbox_depth_and_attempts(
    make_server: Callable[..., LiveServer], tmp_path: Path, twilio: FakeTwilio
) -> None:
    twilio.reset()
    server = sms_server(make_server, tmp_path, twilio, OUTBOX_MAX_DELAY_SECONDS="0.2")
    server.env["PUBLIC_BASE_URL"] = server.url
    server.start()
    try:
        shop = sms_shop(server, twilio, public=server.url)
        _, conversation_id = open_conversation(shop)
        assert value(scrape(server), "handoff_messages_total", channel="sms", direction="in") == 1
        twilio.always = server_error()
        message_id = shop.reply(conversation_id, "queued while Twilio is down").json()["message_id"]
        twilio.wait_for_requests(2, path=f"/2010-04-01/Accounts/{shop.account_sid}/Messages.json")
        down = scrape(server)
        assert value(down, "handoff_queue_depth", queue="outbox") == 1
        assert value(down, "handoff_queue_attempts_total", queue="outbox", outcome="retry") >= 1
        assert value(down, "handoff_queue_oldest_age_seconds", queue="outbox") > 0
        assert value(down, "handoff_messages_total", channel="sms", direction="out") == 1

        twilio.always = None
        eventually(status_is(server, message_id, "sent"))
        up = scrape(server)
        assert value(up, "handoff_queue_depth", queue="outbox") == 0
        assert value(up, "handoff_queue_oldest_age_seconds", queue="outbox") == 0
        assert value(up, "handoff_queue_attempts_total", queue="outbox", outcome="sent") == 1

        twilio.always = invalid_number()
        failing = shop.reply(conversation_id, "to a number Twilio refuses").json()["message_id"]
        eventually(status_is(server, failing, "failed"))
        assert value(scrape(server), "handoff_queue_attempts_total", queue="outbox", outcome="failed") == 1
    finally:
        twilio.always = None
        server.stop()


# ---- who may read ------------------------------------------------------------------------------------


def from_proxy(server: LiveServer, client: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """A request that came through the proxy at 127.0.0.2 from `client`."""
    with httpx.Client(transport=httpx.HTTPTransport(local_address=PROXY), timeout=10) as http:
        return http.get(f"{server.url}/metrics", headers={"X-Forwarded-For": client, **(headers or {})})


@pytest.fixture(scope="module")
def guarded(make_server: Callable[..., LiveServer], tmp_path_factory: pytest.TempPathFactory) -> Any:
    token = "metrics-" + uuid.uuid4().hex
    server = make_server(tmp_path_factory.mktemp("guarded"), METRICS_TOKEN=token, PROXY_HOPS="1").start()
    yield server, token
    server.stop()


def test_without_a_token_only_loopback_clients_read(make_server: Callable[..., LiveServer], tmp_path: Path) -> None:
    server = make_server(tmp_path, PROXY_HOPS="1").start()
    try:
        assert httpx.get(f"{server.url}/metrics").status_code == 200  # a scraper on the same host
        refused = from_proxy(server, "203.0.113.5")  # a remote client behind the proxy
        assert refused.status_code == 403 and refused.json()["detail"]
        # A client writing a loopback address of its own is still the address the proxy saw.
        assert from_proxy(server, "127.0.0.1, 203.0.113.5").status_code == 403
    finally:
        server.stop()


def test_with_a_token_its_bearers_read_from_anywhere(guarded: tuple[LiveServer, str]) -> None:
    server, token = guarded
    missing = httpx.get(f"{server.url}/metrics")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    assert missing.json()["detail"]
    wrong = {"Authorization": f"Bearer {token}x"}
    assert httpx.get(f"{server.url}/metrics", headers=wrong).status_code == 401
    assert httpx.get(f"{server.url}/metrics", headers={"Authorization": token}).status_code == 401
    right = {"Authorization": f"Bearer {token}"}
    assert scrape(server, headers=right)
    assert from_proxy(server, "203.0.113.5", right).status_code == 200
    assert from_proxy(server, "203.0.113.5").status_code == 401
