"""Push settings in headless Chromium against the real server.

Covered here: the Notifications page (axe, one h1), the explanation shown before anything is asked, the
browser's permission prompt only on the click, the service worker registering at /admin-app/sw.js with the
app's scope under the app's CSP (no-cache), the VAPID key fetched, and what the browser does next:

- headless Chromium has no push service to reach offline, so its real `pushManager.subscribe` fails; the
  page then says so in an alert. Pushes delivered straight to the worker over DevTools
  (`ServiceWorker.deliverPushMessage`) show as notifications with the pushed title, text and app link (a
  link outside the app becomes the app's start page) (first test);
- the second test puts a stand-in `subscribe` in the page (an init script: the subscription of a browser of
  the loopback push service, tests/fakes/push_service.py). The app's own code then posts it to the server;
  with the tab closed a mention pushes to it, and the loopback service verifies and decrypts the push;
  signing out unsubscribes and deletes it on the server ("Turn off": admin-frontend/tests/push.test.tsx).

Not covered: a real push service delivering to Chromium, and the worker's `notificationclick` (opening the
conversation), which needs a click on a system notification.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.admin_browser.helpers import Shop, sign_in
from tests.axe import assert_accessible
from tests.fakes.push_service import FakePushService
from tests.push_support import mention, open_conversation
from tests.support import LiveServer, add_user, eventually, query


@pytest.fixture(scope="module")
def live(
    spa_built: None, make_server: Callable[..., LiveServer], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    # The loopback push service speaks plain http.
    server = make_server(tmp_path_factory.mktemp("admin-push"), PUSH_ALLOW_HTTP="1").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def push_service() -> Iterator[FakePushService]:
    fake = FakePushService().start()
    yield fake
    fake.stop()


def open_notifications(page: Page, live: LiveServer, shop: Shop) -> None:
    sign_in(page, live, shop.email, shop.password)
    page.get_by_role("link", name=shop.name).click()  # your own name in the top bar: your account
    expect(page.get_by_role("heading", level=1, name="Your account")).to_be_visible()


def notifications(page: Page) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const r = await navigator.serviceWorker.getRegistration('/admin-app/');
            const all = r ? await r.getNotifications() : [];
            return all.map((n) => ({title: n.title, body: n.body, url: n.data && n.data.url}));
        }"""
    )
    return shown


def worker_scope(page: Page) -> str | None:
    scope: str | None = page.evaluate(
        """async () => {
            const r = await navigator.serviceWorker.getRegistration('/admin-app/');
            return r && (r.active || r.installing || r.waiting) ? r.scope : null;
        }"""
    )
    return scope


def test_the_permission_is_asked_on_the_click_and_the_worker_registers(
    page: Page, context: BrowserContext, live: LiveServer, shop: Shop
) -> None:
    open_notifications(page, live, shop)
    panel = page.get_by_role("region", name="Push notifications")
    expect(panel.get_by_role("status")).to_have_text("Push notifications are off for this browser.")
    expect(panel).to_contain_text("your browser asks for permission to show notifications")
    assert page.evaluate("Notification.permission") == "default"  # nothing asked before the click
    assert_accessible(page, label="account page")
    assert page.locator("h1").count() == 1

    cdp = context.new_cdp_session(page)  # DevTools: the worker's registration id, to push to it below
    registrations: list[dict[str, Any]] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    context.grant_permissions(["notifications"], origin=live.url)  # the prompt, answered "Allow"
    with page.expect_response(lambda r: r.url.endswith("/api/v1/push/key")) as key:
        panel.get_by_role("button", name="Turn on push notifications").click()
    assert key.value.status == 200
    assert eventually(lambda: worker_scope(page)) == f"{live.url}/admin-app/"
    # Offline, Chromium's subscribe cannot reach its push service: the page says what failed.
    expect(panel.get_by_role("alert")).to_contain_text("Could not change push notifications")
    # The worker shows what a push carries (delivered straight to it over DevTools: no push service offline),
    # and never links outside the app.
    registration = next(r for r in registrations if r["scopeURL"] == f"{live.url}/admin-app/")
    for data in (
        {"title": "Tess mentioned you", "body": "Vic: hello", "url": "/admin-app/#/inbox/12"},
        {"title": "Elsewhere", "body": "", "url": "https://evil.example/"},
    ):
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": live.url, "registrationId": registration["registrationId"], "data": json.dumps(data)},
        )
    shown = eventually(lambda: len(notifications(page)) == 2 and notifications(page))
    assert sorted(shown, key=lambda n: n["title"]) == [
        {"title": "Elsewhere", "body": "", "url": f"{live.url}/admin-app/"},
        {"title": "Tess mentioned you", "body": "Vic: hello", "url": f"{live.url}/admin-app/#/inbox/12"},
    ]
    worker = page.request.get(f"{live.url}/admin-app/sw.js")
    assert worker.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in worker.headers["content-security-policy"]


STAND_IN = """
(() => {
  const sub = %s;
  const FLAG = 'test.push-subscribed';  // kept across reloads, as a browser keeps its subscription
  const make = () => ({
    endpoint: sub.endpoint, options: {applicationServerKey: null},
    toJSON: () => sub, unsubscribe: async () => { localStorage.removeItem(FLAG); return true; },
  });
  PushManager.prototype.subscribe = async function () { localStorage.setItem(FLAG, '1'); return make(); };
  PushManager.prototype.getSubscription = async function () { return localStorage.getItem(FLAG) ? make() : null; };
})();
"""


def test_the_apps_subscription_reaches_the_server_and_a_push_reaches_the_browser(
    page: Page, context: BrowserContext, live: LiveServer, shop: Shop, push_service: FakePushService
) -> None:
    browser = push_service.new_browser()
    context.add_init_script(STAND_IN % json.dumps(browser.subscription()))
    context.grant_permissions(["notifications"], origin=live.url)
    open_notifications(page, live, shop)
    panel = page.get_by_role("region", name="Push notifications")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/push/subscriptions")) as saved:
        panel.get_by_role("button", name="Turn on push notifications").click()
    assert saved.value.status == 201
    expect(panel.get_by_role("status")).to_have_text("Push notifications are on for this browser.")
    assert query(live, "SELECT user_id FROM push_subscriptions WHERE endpoint = ?", browser.endpoint) == [
        (shop.user_id,)
    ]

    # The tab closes: no Handoff tab of the admin's is open. A teammate mentions them: the push goes out.
    page.close()
    eventually(lambda: not [m for m in shop.api.get("/api/v1/team").json() if m["id"] == shop.user_id and m["online"]])
    teammate, _ = add_user(shop.api, name="Tess")
    widget = shop.api.get("/api/v1/tenant").json()["widget_key"]
    conversation_id = open_conversation(live, shop.api, widget)
    mention(teammate, conversation_id, shop.user_id, "the parcel is in Lyon")
    push = eventually(lambda: [p for p in push_service.delivered if p.browser is browser])[0]
    assert push.payload["title"] == f"Tess mentioned you in conversation #{conversation_id}"
    assert push.payload["url"] == f"/admin-app/#/inbox/{conversation_id}"

    # Signing out in that browser stops its pushes: unsubscribed there and deleted on the server.
    again = context.new_page()  # still signed in (the tokens are kept in this browser)
    again.goto(f"{live.url}/admin-app/#/notifications")
    expect(again.get_by_role("region", name="Push notifications").get_by_role("status")).to_have_text(
        "Push notifications are on for this browser."
    )
    with again.expect_response(lambda r: r.request.method == "DELETE") as removed:
        again.get_by_role("button", name="Sign out").click()
    assert removed.value.status == 204
    expect(again.get_by_role("button", name="Sign in")).to_be_visible()
    assert query(live, "SELECT COUNT(*) FROM push_subscriptions WHERE endpoint = ?", browser.endpoint) == [(0,)]
