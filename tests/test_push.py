"""Web Push against the real server and a loopback push service, on both databases: the VAPID key, the
subscriptions API, and a mention of a member with no tab open pushed through the job queue, VAPID-signed
and encrypted for that browser (the fake push service verifies the JWT and decrypts), with a 410 removing
the subscription and a 5xx retried."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.fakes import Reply
from tests.fakes.push_service import FakeBrowser, FakePushService
from tests.push_support import mention, open_conversation
from tests.support import (
    Api,
    LiveServer,
    add_user,
    eventually,
    make_tenant,
    query,
    staff_socket,
)

pytestmark = BACKENDS


@pytest.fixture(scope="module")
def server(make_server: Callable[..., LiveServer], tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # The loopback push service speaks plain http; real endpoints must be https (tested below).
    live = make_server(tmp_path_factory.mktemp("push"), PUSH_ALLOW_HTTP="1").start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def push_service() -> Iterator[FakePushService]:
    fake = FakePushService().start()
    yield fake
    fake.stop()


def delete(api: Api, body: dict[str, Any]) -> httpx.Response:
    return api.http.request("DELETE", "/api/v1/push/subscriptions", json=body, headers=api.headers())


def subscribe(api: Api, browser: FakeBrowser) -> dict[str, Any]:
    response = api.post("/api/v1/push/subscriptions", browser.subscription())
    assert response.status_code == 201, response.text
    return dict(response.json())


def push_jobs(server: LiveServer, tenant_user: int) -> list[tuple[Any, ...]]:
    return query(
        server,
        "SELECT j.status, j.attempts, j.last_error FROM jobs j JOIN users u ON u.tenant_id = j.tenant_id"
        " WHERE j.kind = 'push' AND u.id = ? ORDER BY j.id",
        tenant_user,
    )


def test_the_key_is_public_and_subscriptions_are_each_members_own(
    server: LiveServer, push_service: FakePushService
) -> None:
    key = httpx.get(f"{server.url}/api/v1/push/key")
    assert key.status_code == 200 and len(key.json()["public_key"]) == 87  # 65 bytes, base64url
    admin, _ = make_tenant(server)
    colleague, _ = add_user(admin, name="Cleo")
    browser = push_service.new_browser()

    anonymous = httpx.post(f"{server.url}/api/v1/push/subscriptions", json=browser.subscription())
    assert anonymous.status_code == 401
    saved = subscribe(colleague, browser)
    assert saved["endpoint"] == browser.endpoint and saved["last_success_at"] is None
    assert "keys" not in saved
    assert colleague.get("/api/v1/push/subscriptions").json()["subscriptions"] == [saved]
    assert admin.get("/api/v1/push/subscriptions").json()["subscriptions"] == []
    assert delete(admin, {"endpoint": browser.endpoint}).status_code == 404  # not the admin's browser

    # The same browser again (new keys after a resubscribe): one row, the new keys.
    browser.auth_secret = b"0123456789abcdef"
    assert subscribe(colleague, browser)["id"] == saved["id"]
    stored = query(server, "SELECT COUNT(*), MAX(auth) FROM push_subscriptions WHERE endpoint = ?", browser.endpoint)
    assert stored == [(1, "MDEyMzQ1Njc4OWFiY2RlZg")]
    assert delete(colleague, {"endpoint": browser.endpoint}).status_code == 204
    assert colleague.get("/api/v1/push/subscriptions").json()["subscriptions"] == []

    bad = browser.subscription()
    for body, word in (
        ({**bad, "keys": {**bad["keys"], "p256dh": "AAAA"}}, "p256dh"),
        ({**bad, "keys": {**bad["keys"], "auth": "c2hvcnQ"}}, "auth"),
        ({**bad, "keys": {**bad["keys"], "auth": "!!"}}, "base64url"),
        ({**bad, "endpoint": "ftp://push.example/x"}, "https"),
        ({**bad, "endpoint": "https://user:pw@push.example/x"}, "https"),
        ({"endpoint": browser.endpoint}, "keys"),
    ):
        refused = colleague.post("/api/v1/push/subscriptions", body)
        assert refused.status_code == 422 and word in refused.json()["detail"], refused.text


def test_http_endpoints_are_refused_unless_allowed(make_server: Callable[..., LiveServer], tmp_path: Any) -> None:
    live = make_server(tmp_path).start()
    try:
        admin, _ = make_tenant(live)
        browser = FakeBrowser("http://127.0.0.1:9/push/abc")
        refused = admin.post("/api/v1/push/subscriptions", browser.subscription())
        assert refused.status_code == 422 and "https://" in refused.json()["detail"]
        https = FakeBrowser("https://push.example.com/push/abc")
        assert admin.post("/api/v1/push/subscriptions", https.subscription()).status_code == 201
        first_key = httpx.get(f"{live.url}/api/v1/push/key").json()["public_key"]
        live.restart()  # made once: the same key after a restart, and the subscription still there
        assert httpx.get(f"{live.url}/api/v1/push/key").json()["public_key"] == first_key
        assert query(live, "SELECT COUNT(*) FROM push_vapid") == [(1,)]
        assert query(live, "SELECT COUNT(*) FROM push_subscriptions") == [(1,)]
    finally:
        live.stop()


def test_a_mention_of_a_member_with_no_tab_open_reaches_their_browser(
    server: LiveServer, push_service: FakePushService
) -> None:
    admin, widget_key = make_tenant(server)
    colleague, cleo = add_user(admin, name="Cleo")
    browser = push_service.new_browser()
    saved = subscribe(colleague, browser)
    conversation_id = open_conversation(server, admin, widget_key)
    public_key = httpx.get(f"{server.url}/api/v1/push/key").json()["public_key"]

    mention(admin, conversation_id, cleo["id"], "Cleo, can you take this one? It is a refund.")
    push = eventually(lambda: [p for p in push_service.delivered if p.browser is browser])[0]
    assert push.payload == {
        "title": f"{admin.get('/api/v1/auth/me').json()['name']} mentioned you in conversation #{conversation_id}",
        "body": "Cleo, can you take this one? It is a refund.",
        "url": f"/admin-app/#/inbox/{conversation_id}",
    }
    assert push.vapid_key == public_key and push.claims["aud"] == push_service.url
    assert eventually(lambda: push_jobs(server, cleo["id"]) == [("done", 1, None)])
    (listed,) = colleague.get("/api/v1/push/subscriptions").json()["subscriptions"]
    assert listed["id"] == saved["id"] and listed["last_success_at"]

    # With a tab open (a staff socket), the mention is shown there and nothing is pushed: the job would
    # have been queued in the note's own transaction, so its absence is final once the send answers.
    sock = staff_socket(server, colleague.token or "")
    mention(admin, conversation_id, cleo["id"], "and this one too")
    sock.recv_until(lambda f: f["type"] == "mention")
    assert push_jobs(server, cleo["id"]) == [("done", 1, None)]
    sock.close()


def test_a_failing_push_service_is_retried_and_a_gone_subscription_removed(
    server: LiveServer, push_service: FakePushService
) -> None:
    admin, widget_key = make_tenant(server)
    cleo_api, cleo = add_user(admin, name="Cleo")
    browser = push_service.new_browser()
    subscribe(cleo_api, browser)
    conversation_id = open_conversation(server, admin, widget_key)

    push_service.script(Reply(503, None, {"Retry-After": "1"}))
    mention(admin, conversation_id, cleo["id"], "first try fails")
    eventually(lambda: [p for p in push_service.delivered if p.payload["body"].endswith("first try fails")], 30)
    jobs = eventually(lambda: (found := push_jobs(server, cleo["id"])) and found[0][0] == "done" and found, 30)
    assert jobs[0][1] == 2  # one 503, then delivered

    push_service.unsubscribe(browser)  # the browser dropped it: 410 Gone from now on
    # Another conversation: alerts about one conversation reach a member at most once in 10 minutes.
    mention(admin, open_conversation(server, admin, widget_key), cleo["id"], "nobody is there")
    eventually(
        lambda: query(server, "SELECT COUNT(*) FROM push_subscriptions WHERE endpoint = ?", browser.endpoint) == [(0,)]
    )
    assert eventually(lambda: [j[0] for j in push_jobs(server, cleo["id"])] == ["done", "done"])
