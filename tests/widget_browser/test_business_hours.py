"""The widget outside business hours: staff are online, but the business is closed, so the widget opens on
the follow-up form with the tenant's away message (or the default text in the widget's language), and the
form still reaches the inbox."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.axe import assert_accessible
from tests.routing_support import NEVER_OPEN, settings
from tests.widget_browser.helpers import LIVE, Shop


def test_closed_hours_show_the_away_message_and_the_followup_form(page: Page, shop: Shop) -> None:
    settings(shop.admin, business_hours=NEVER_OPEN, away_message="We open at 9am Paris time.")
    page.goto(shop.demo_url)
    page.get_by_role("button", name=re.compile("chat", re.I)).click()
    expect(page.get_by_text("We open at 9am Paris time.")).to_be_visible()
    expect(page.get_by_text("Away", exact=True)).to_be_visible()  # a staff socket is connected, yet closed
    name = page.get_by_role("textbox", name="Name")
    expect(name).to_be_focused()
    assert_accessible(page, within_shadow_host="handoff-widget", label="widget outside business hours")
    name.fill("Night Owl")
    page.get_by_role("textbox", name="Email").fill("owl@example.com")
    page.get_by_role("textbox", name="Message").fill("Call me tomorrow, please.")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible(timeout=LIVE)
    [followup] = shop.admin.get("/admin/api/followups").json()["followups"]
    assert followup["message"] == "Call me tomorrow, please."


def test_closed_hours_default_text_comes_in_the_widget_language(page: Page, shop: Shop) -> None:
    settings(shop.admin, business_hours=NEVER_OPEN, language="de")
    page.goto(shop.demo_url)
    page.get_by_role("button", name=re.compile("chat|Chat", re.I)).click()
    expect(page.get_by_text(re.compile("^Wir sind gerade nicht da"))).to_be_visible()
