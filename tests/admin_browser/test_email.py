"""Email in the admin app, in Chromium against the real server and a loopback SMTP server: Forgot password?
through to the reset page the email links to, Settings' Email card and its test send, the Account page's
preferences, a follow-up's reply box and a conversation's Email transcript; axe on each new screen."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.admin_browser.helpers import Shop, open_app, open_visitor_chat, sign_in
from tests.axe import assert_accessible
from tests.email_support import mail_server
from tests.fakes.smtp import FakeSmtp
from tests.support import LiveServer, add_user

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture(scope="module")
def live(
    spa_built: None,
    make_server: Callable[..., LiveServer],
    tmp_path_factory: pytest.TempPathFactory,
    smtp: FakeSmtp,
) -> Iterator[LiveServer]:
    server = mail_server(make_server, tmp_path_factory.mktemp("admin-email"), smtp)
    yield server
    server.stop()


def test_forgot_password_through_the_emailed_link(page: Page, live: LiveServer, shop: Shop, smtp: FakeSmtp) -> None:
    _, user = add_user(shop.api, name="Rae")
    open_app(page, live)
    page.get_by_role("button", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    assert_accessible(page, label="forgot password form")
    page.get_by_role("textbox", name="Email").fill(user["email"])
    page.get_by_role("button", name="Email me a reset link").click()
    expect(page.get_by_role("status")).to_contain_text("If that address has an account")
    (mail,) = smtp.wait_for(user["email"])
    link = re.search(r"https?://\S+/admin-app/#/reset/\S+", mail.part("plain"))
    assert link, mail.part("plain")
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert_accessible(page, label="reset password page")
    page.get_by_role("textbox", name="New password").fill("rae-new-password-1")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")
    page.get_by_role("link", name="Sign in").click()
    sign_in(page, live, user["email"], "rae-new-password-1")


def test_settings_email_card_and_account_preferences(page: Page, live: LiveServer, shop: Shop, smtp: FakeSmtp) -> None:
    sign_in(page, live, shop.email, shop.password)
    page.goto(f"{live.url}/admin-app/#/settings")
    card = page.get_by_role("region", name="Email")
    expect(card).to_contain_text("Email configured: yes")
    expect(card).to_contain_text(f"Password reset links point to {live.url}.")
    card.get_by_role("button", name="Send test email").click()
    expect(card.get_by_role("status")).to_contain_text(f"Test email queued to {shop.email}")
    assert smtp.wait_for(shop.email)[0].subject == "Handoff test email"
    page.get_by_role("link", name=shop.name).click()
    expect(page.get_by_role("heading", level=1, name="Your account")).to_be_visible()
    box = page.get_by_role("checkbox", name=re.compile("Email me when I am not signed in"))
    expect(box).to_be_checked()
    assert_accessible(page, label="account page")
    box.uncheck()
    expect(page.get_by_role("region", name="Alerts").get_by_role("status")).to_contain_text("Preferences saved.")
    assert shop.api.get("/api/v1/me/notifications").json()["email"] is False


def test_followup_reply_and_conversation_transcript(page: Page, live: LiveServer, shop: Shop, smtp: FakeSmtp) -> None:
    created = httpx.post(
        f"{live.url}/followup",
        json={"widget_key": shop.widget_key, "name": "Flo", "email": "flo@example.com", "message": "ring me"},
    )
    assert created.status_code == 201
    visitor, conversation_id = open_visitor_chat(page, live, shop, "Vera", "my parcel?")
    visitor.close()
    page.get_by_role("button", name="Email transcript").click()
    page.get_by_role("textbox", name="Send to").fill("vera@example.com")
    page.get_by_role("button", name="Send transcript").click()
    expect(page.get_by_text("Transcript emailed to vera@example.com.")).to_be_visible()
    assert "my parcel?" in smtp.wait_for("vera@example.com")[0].part("plain")
    page.goto(f"{live.url}/admin-app/#/followups")
    card = page.get_by_role("listitem").filter(has_text="ring me")
    card.get_by_role("textbox", name="Reply to Flo").fill("Calling you at noon.")
    card.get_by_role("button", name="Send reply").click()
    expect(card.get_by_role("status")).to_contain_text("Replied by email")
    assert_accessible(page, label="follow-ups with a reply")
    assert "Calling you at noon." in smtp.wait_for("flo@example.com")[0].part("plain")
    assert conversation_id > 0
