"""Routing in the admin SPA against the real server: the header's availability switch, auto-assignment and
business hours in Settings (several ranges a day, zone, away message, open-now preview), an agent's cap on
the Team page; axe finds nothing serious on either page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.admin_browser.helpers import Shop, nav, sign_in
from tests.axe import assert_accessible
from tests.support import LiveServer, eventually, visitor_session


def test_availability_switch_in_the_header(live: LiveServer, shop: Shop, page: Page) -> None:
    sign_in(page, live, shop.email, shop.password)
    switch = page.get_by_role("switch", name="Available for new chats")
    expect(switch).to_have_attribute("aria-checked", "true")
    eventually(lambda: visitor_session(live, shop.widget_key)["staff_online"] is True)
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "false")
    expect(switch).to_have_text("Away")
    assert visitor_session(live, shop.widget_key)["staff_online"] is False
    [me] = [m for m in shop.api.get("/api/v1/team").json() if m["id"] == shop.user_id]
    assert (me["availability"], me["available"]) == ("away", False)
    assert_accessible(page, label="inbox with the availability switch")
    switch.click()
    expect(switch).to_have_attribute("aria-checked", "true")
    assert visitor_session(live, shop.widget_key)["staff_online"] is True


def test_routing_settings_and_caps(live: LiveServer, shop: Shop, page: Page) -> None:
    sign_in(page, live, shop.email, shop.password)
    nav(page).get_by_role("link", name="Settings").click()
    page.get_by_role("checkbox", name="Assign new conversations automatically").check()
    expect(page.get_by_text("Auto-assignment is on.")).to_be_visible()
    assert shop.api.get("/api/v1/tenant").json()["settings"]["auto_assign"] is True

    page.get_by_role("checkbox", name="Set opening hours (outside them the widget offers the follow-up form)").check()
    page.get_by_role("combobox", name="Time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Add hours on Monday").click()
    page.get_by_label("Monday opens (2)").fill("18:00")
    page.get_by_label("Monday closes (2)").fill("20:00")
    page.get_by_role("button", name="Remove Friday hours").click()
    page.get_by_role("textbox", name="Away message").fill("Back at nine!")
    expect(page.get_by_test_id("open-now")).to_contain_text(" now: the widget ")
    assert_accessible(page, label="settings with business hours")
    page.get_by_role("button", name="Save widget settings").click()
    expect(page.get_by_text("Widget settings saved.")).to_be_visible()
    stored = shop.api.get("/api/v1/tenant").json()["settings"]
    assert stored["business_hours"]["timezone"] == "Asia/Tokyo"
    assert stored["business_hours"]["week"]["mon"] == [["09:00", "17:00"], ["18:00", "20:00"]]
    assert stored["business_hours"]["week"]["fri"] == []
    assert stored["away_message"] == "Back at nine!"

    nav(page).get_by_role("link", name="Team").click()
    cap = page.get_by_role("spinbutton", name=f"Most open conversations for {shop.name}")
    cap.fill("4")
    cap.press("Enter")
    eventually(lambda: [u["max_open"] for u in shop.api.get("/api/v1/users").json()] == [4])
    assert_accessible(page, label="team page with caps")
