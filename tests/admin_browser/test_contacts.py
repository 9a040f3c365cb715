"""Contacts in a real browser: search a contact, edit it, merge a web visitor with an SMS number through the
confirmation dialog, and the visitor's next message lands in the merged thread; axe checks the page and
the dialog."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import Page, expect

from tests.admin_browser.helpers import Shop, nav, sign_in, visitor_says
from tests.axe import assert_accessible, describe
from tests.conftest import BACKENDS
from tests.fakes.twilio_api import FakeTwilio
from tests.sms_support import SmsShop, phone
from tests.support import LiveServer, visitor_session

pytestmark = BACKENDS


def check_screen(page: Page, label: str) -> None:
    violations = assert_accessible(page, label=label)
    assert violations == [], f"{label}: axe violations of lower impact:\n{describe(violations)}"


def sms_for(live: LiveServer, shop: Shop, twilio: FakeTwilio) -> SmsShop:
    """This tenant's SMS channel, with Twilio's webhooks signed for the server's own address."""
    sms = SmsShop(live, shop.api, "AC" + secrets.token_hex(16), secrets.token_hex(16), phone(), live.url)
    twilio.add_account(sms.account_sid, sms.auth_token, sms.number)
    saved = shop.api.patch(
        "/api/v1/tenant",
        {"channels": {"sms": {"account_sid": sms.account_sid, "auth_token": sms.auth_token, "number": sms.number}}},
    )
    assert saved.status_code == 200, saved.text
    return sms


def test_search_edit_and_merge_a_visitor_with_an_sms_number(
    live: LiveServer, shop: Shop, page: Page, twilio: FakeTwilio
) -> None:
    sms = sms_for(live, shop, twilio)
    session = visitor_session(live, shop.widget_key, name="Vera Visitor")
    thread = visitor_says(live, session, "hello from the web")["conversation_id"]
    number = phone()
    assert sms.text_in("hello by text", number).status_code == 200

    sign_in(page, live, shop.email, shop.password)
    nav(page).get_by_role("link", name="Contacts").click()
    expect(page.get_by_role("heading", level=1, name="Contacts")).to_be_visible()
    contacts = page.get_by_role("list", name="Contacts")
    expect(contacts.get_by_role("link")).to_have_count(2)
    check_screen(page, "contacts list")

    page.get_by_role("searchbox", name="Search contacts").fill("vera")
    page.get_by_role("button", name="Search").click()
    expect(contacts.get_by_role("link")).to_have_count(1)
    contacts.get_by_role("link", name=re.compile("Vera Visitor")).click()
    profile = page.get_by_role("article")
    expect(profile.get_by_role("heading", level=2)).to_have_text("Vera Visitor")
    expect(profile.get_by_role("link", name=re.compile(f"conversation #{thread}"))).to_be_visible()

    profile.get_by_role("textbox", name="Name").fill("Vera V.")
    profile.get_by_role("textbox", name="Note").fill("Prefers text messages")
    profile.get_by_role("button", name="Save").click()
    expect(profile.get_by_role("status")).to_have_text("Saved")
    expect(page.get_by_role("heading", level=2, name="Vera V.")).to_be_visible()
    check_screen(page, "contact profile")

    page.get_by_role("searchbox", name="Contact to merge").fill(number[-6:])
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name=f"Merge {number} (SMS)").click()
    dialog = page.get_by_role("dialog", name="Merge contacts?")
    expect(dialog).to_contain_text(f"{number} (SMS) will be merged into Vera V.")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    check_screen(page, "merge confirmation dialog")
    dialog.get_by_role("button", name="Merge").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("list", name="Channel addresses")).to_contain_text(f"SMS: {number}")

    # The visitor writes again: the message lands in the merged (kept) thread, shown in the inbox.
    assert visitor_says(live, session, "one thread now")["conversation_id"] == thread
    assert sms.text_in("and by text", number).status_code == 200
    page.get_by_role("link", name=re.compile(f"Web chat conversation #{thread}")).click()
    log = page.get_by_role("log")
    expect(log).to_contain_text("one thread now")
    expect(log).to_contain_text("and by text")
