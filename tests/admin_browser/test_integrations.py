"""Settings › Webhooks and API tokens in the real admin app against the real server: a webhook added in the
page delivers to a loopback receiver with the secret the page showed once, its delivery log shows the answer;
a token created in the page works until it is revoked there. axe checks each state, dialog included."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests import log_audit
from tests.admin_browser.helpers import Shop, nav, sign_in, visitor_says
from tests.axe import assert_accessible, describe
from tests.fakes.webhook_receiver import WebhookReceiver, signature_ok
from tests.support import LiveServer, eventually, visitor_session


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    fake = WebhookReceiver().start()
    yield fake
    fake.stop()


def check_screen(page: Page, label: str) -> None:
    violations = assert_accessible(page, label=label)
    assert violations == [], f"{label}: axe violations of lower impact:\n{describe(violations)}"
    expect(page.locator("h1")).to_have_count(1)


def open_settings(page: Page, live: LiveServer, shop: Shop) -> None:
    sign_in(page, live, shop.email, shop.password)
    nav(page).get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()


def test_a_webhook_added_in_settings_delivers_and_logs(
    live: LiveServer, shop: Shop, page: Page, receiver: WebhookReceiver
) -> None:
    open_settings(page, live, shop)
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()
    form = page.get_by_role("form", name="Add a webhook")
    form.get_by_role("textbox", name="Endpoint URL").fill(f"{receiver.url}/hook")
    form.get_by_role("checkbox", name="Message (never private notes)").uncheck()
    form.get_by_role("button", name="Add webhook").click()
    secret_box = page.locator(".secret-once code")
    expect(secret_box).to_contain_text("whsec_")
    secret = secret_box.inner_text()
    log_audit.remember(secret, "a webhook secret shown in the admin app")
    expect(page.get_by_role("button", name="Copy webhook secret")).to_be_visible()
    check_screen(page, "settings with a new webhook's secret")
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_text(secret)).to_have_count(0)

    visitor_says(live, visitor_session(live, shop.widget_key), f"hello {uuid.uuid4().hex[:6]}")
    [delivery] = receiver.wait_for_requests(1)
    assert delivery.headers["x-handoff-event"] == "conversation.created" and signature_ok(delivery, secret)

    # The receiver answered before the server wrote the attempt down: open the log once it has.
    [webhook] = shop.api.get("/api/v1/webhooks").json()["webhooks"]
    eventually(
        lambda: (
            shop.api.get(f"/api/v1/webhooks/{webhook['id']}/deliveries").json()["deliveries"][0]["state"] == "delivered"
        )
    )
    hooks = page.get_by_role("list", name="Webhooks")
    hooks.get_by_role("button", name="Delivery log").click()
    log = hooks.get_by_role("table")
    expect(log.get_by_role("cell", name="conversation.created", exact=True)).to_be_visible()
    expect(log.get_by_role("cell", name="HTTP 200", exact=True)).to_be_visible()
    expect(log.get_by_role("cell", name="delivered", exact=True)).to_be_visible()
    check_screen(page, "settings with a webhook's delivery log")


def test_an_api_token_created_in_settings_works_until_revoked_there(live: LiveServer, shop: Shop, page: Page) -> None:
    open_settings(page, live, shop)
    form = page.get_by_role("form", name="Create an API token")
    form.get_by_role("textbox", name="Token name").fill("CRM sync")
    form.get_by_role("button", name="Create token").click()
    shown = page.locator(".secret-once code")
    expect(shown).to_contain_text("hnd_")
    token = shown.inner_text()
    log_audit.remember(token, "an API token shown in the admin app")
    expect(page.get_by_role("button", name="Copy token")).to_be_visible()
    check_screen(page, "settings with a new API token")

    used = httpx.get(f"{live.url}/admin/api/convos", headers={"Authorization": f"Bearer {token}"})
    assert used.status_code == 200
    page.get_by_role("button", name="Done").click()
    page.reload()
    tokens = page.get_by_role("table", name="API tokens")
    last_used = tokens.get_by_role("row", name="CRM sync").get_by_role("cell").nth(3)
    expect(last_used).not_to_have_text("Never")  # the request above was recorded

    tokens.get_by_role("button", name="Revoke token CRM sync").click()
    dialog = page.get_by_role("dialog", name="Revoke token “CRM sync”?")
    expect(dialog).to_be_visible()
    check_screen(page, "settings asking to revoke a token")
    dialog.get_by_role("button", name="Revoke token").click()
    expect(page.get_by_text("Token “CRM sync” revoked: it no longer works.")).to_be_visible()
    refused = httpx.get(f"{live.url}/admin/api/convos", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
