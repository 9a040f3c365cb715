"""The admin SPA beyond the inbox: analytics figures, role guards and settings, token refresh keeping work."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.admin_browser.helpers import (
    Shop,
    conversation_list,
    is_staff_message,
    nav,
    open_conversation_id,
    open_visitor_chat,
    sign_in,
    visitor_says,
)
from tests.conftest import BACKENDS
from tests.fakes.twilio_api import FakeTwilio
from tests.support import LiveServer, add_user, visitor_session

# Stored data on both databases: the PostgreSQL run is a real server on a scratch database.
pytestmark = BACKENDS

# ---- 6. analytics ------------------------------------------------------------------------------------------


def test_analytics_tiles_match_seeded_data_and_api(live: LiveServer, shop: Shop, page: Page) -> None:
    # By construction: 3 web chats, 2 answered by staff then closed, 1 closed unanswered (missed), 1 follow-up.
    conversation_ids = []
    for i in range(3):
        session = visitor_session(live, shop.widget_key, name=f"Analytics {i}")
        conversation_ids.append(visitor_says(live, session, f"question {i}")["conversation_id"])
    for cid in conversation_ids[:2]:
        assert shop.api.post("/admin/api/send", {"conversation_id": cid, "text": "answer"}).status_code == 200
    for cid in conversation_ids:
        assert shop.api.patch(f"/admin/api/conversations/{cid}", {"status": "closed"}).status_code == 200
    followup = httpx.post(
        f"{live.url}/followup",
        json={"widget_key": shop.widget_key, "name": "Fay", "email": "f@example.com", "message": "?"},
    )
    assert followup.status_code == 201, followup.text
    expected = {"conversations": 3, "messages": 5, "closed": 3, "missed": 1, "escalated": 0, "followups": 1}

    sign_in(page, live, shop.email, shop.password)
    nav(page).get_by_role("link", name="Analytics").click()
    expect(page.get_by_test_id("kpi-conversations")).to_have_attribute("data-value", "3")

    # The same range and zone the page asked for.
    tz = page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone")
    frm = page.get_by_label("From", exact=True).input_value()
    to = page.get_by_label("To", exact=True).input_value()
    summary = shop.api.get("/api/v1/analytics/summary", params={"from": frm, "to": to, "tz": tz})
    assert summary.status_code == 200, summary.text
    data = summary.json()
    assert {k: data["totals"][k] for k in expected} == expected
    assert data["by_channel"]["webchat"] == 3
    assert data["first_response_seconds"]["count"] == 2 and data["resolution_seconds"]["count"] == 3
    assert [(a["user_id"], a["conversations"], a["messages"]) for a in data["agents"]] == [(shop.user_id, 2, 2)]

    for name, value in expected.items():
        tile = page.get_by_test_id(f"kpi-{name}")
        expect(tile).to_have_attribute("data-value", str(value))
        expect(tile).to_have_text(str(value))
    for name, key in (("first-response-median", "first_response_seconds"), ("resolution-median", "resolution_seconds")):
        raw = page.get_by_test_id(f"kpi-{name}").get_attribute("data-value")
        assert raw is not None and float(raw) == pytest.approx(data[key]["median"])
    expect(page.get_by_test_id("channel-webchat")).to_have_text("3")
    for chart in ("Conversations by day and channel", "Conversations by hour of day"):
        expect(page.get_by_role("figure", name=chart).locator("svg.recharts-surface").first).to_be_visible()
    expect(page.get_by_role("table", name="Agents")).to_contain_text(shop.name)


# ---- 8. role guard -------------------------------------------------------------------------------------------


def test_staff_do_not_see_admin_pages_and_admin_sees_settings(
    live: LiveServer,
    shop: Shop,
    context: BrowserContext,
) -> None:
    _, staff = add_user(shop.api, "staff", name="Stu Staff")
    session = visitor_session(live, shop.widget_key, name="Role Visitor")
    visitor_says(live, session, "hello team")

    staff_page = context.new_page()
    sign_in(staff_page, live, staff["email"], staff["password"])
    menu = nav(staff_page)
    for label in ("Inbox", "Follow-ups", "History", "Analytics"):
        expect(menu.get_by_role("link", name=re.compile(label))).to_be_visible()
    expect(menu.get_by_role("link", name="Team")).to_have_count(0)
    expect(menu.get_by_role("link", name="Settings")).to_have_count(0)
    staff_page.goto(f"{live.url}/admin-app/#/settings")
    expect(staff_page.get_by_role("heading", name="Not available")).to_be_visible()
    expect(staff_page.get_by_test_id("embed-snippet")).to_have_count(0)
    # Staff can still list teammates to assign (GET /api/v1/team), though /api/v1/users is admin-only.
    staff_page.goto(f"{live.url}/admin-app/#/inbox")
    conversation_list(staff_page).get_by_role("link", name=re.compile("Role Visitor")).click()
    assignee = staff_page.get_by_role("combobox", name="Assignee")
    expect(assignee.get_by_role("option", name=re.compile(re.escape(shop.name)))).to_have_count(1)
    expect(assignee.get_by_role("option", name="Me (Stu Staff)")).to_have_count(1)
    staff_page.close()

    context.clear_cookies()
    admin_page = context.new_page()
    admin_page.goto(f"{live.url}/admin-app/")
    admin_page.evaluate("() => localStorage.clear()")
    sign_in(admin_page, live, shop.email, shop.password)
    menu = nav(admin_page)
    expect(menu.get_by_role("link", name="Team")).to_be_visible()
    menu.get_by_role("link", name="Settings").click()
    snippet = admin_page.get_by_test_id("embed-snippet")
    expect(snippet).to_have_text(
        f'<script src="{live.url}/widget/handoff.js" data-key="{shop.widget_key}" async></script>'
    )
    sms = admin_page.get_by_role("form", name="Twilio SMS")
    expect(sms).to_contain_text(f"{live.url}/webhooks/twilio/sms")
    expect(sms).to_contain_text(f"{live.url}/webhooks/twilio/status")
    expect(admin_page.get_by_role("form", name="Facebook Messenger")).to_contain_text(f"{live.url}/webhooks/messenger")


def test_sms_settings_are_saved_only_once_twilio_confirms_the_number(
    live: LiveServer, shop: Shop, page: Page, twilio: FakeTwilio
) -> None:
    account_sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    number, not_ours = "+1555" + str(secrets.randbelow(10**7)).zfill(7), "+15550000000"
    twilio.add_account(account_sid, token, number)
    sign_in(page, live, shop.email, shop.password)
    nav(page).get_by_role("link", name="Settings").click()
    sms = page.get_by_role("form", name="Twilio SMS")
    sms.get_by_label("Account SID").fill(account_sid)
    sms.get_by_label("Auth token").fill(token)
    sms.get_by_label("Twilio number").fill(not_ours)
    twilio.delay = 0.5  # long enough to see the form wait for Twilio
    sms.get_by_role("button", name="Save Twilio SMS").click()
    expect(sms.get_by_role("button", name="Verifying with Twilio…")).to_be_disabled()
    expect(sms.get_by_role("alert")).to_have_text(
        f"Not saved. {not_ours} is not a phone number of the Twilio account {account_sid}"
    )
    expect(sms.locator(".badge")).to_have_text("Not configured")

    twilio.delay = 0
    sms.get_by_label("Twilio number").fill(number)
    sms.get_by_role("button", name="Save Twilio SMS").click()
    expect(sms.get_by_role("status")).to_have_text("Saved: Twilio confirmed these credentials.")
    expect(sms.locator(".badge")).to_have_text("Configured")
    assert shop.api.get("/api/v1/tenant").json()["channels"]["sms"]["number"] == number


# ---- 9. token refresh keeps the work -------------------------------------------------------------------------


def test_expired_access_token_is_refreshed_without_losing_the_reply(live: LiveServer, shop: Shop, page: Page) -> None:
    visitor, conversation_id = open_visitor_chat(page, live, shop, "Rita Refresh", "are you there?")
    try:
        refresh_before = page.evaluate("() => localStorage.getItem('handoff.refresh_token')")

        page.evaluate("() => localStorage.setItem('handoff.access_token', 'garbage.not-a-jwt')")
        reply = page.get_by_role("textbox", name="Reply")
        reply.fill("Yes, here after a refresh")
        page.get_by_role("button", name="Send").click()

        visitor.recv_until(is_staff_message("Yes, here after a refresh"))
        last = page.get_by_role("log").get_by_test_id("message").last
        expect(last).to_contain_text("Yes, here after a refresh")
        expect(last.get_by_test_id("delivery-status")).to_have_text(re.compile("Sent|Delivered|Read"))
        expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
        tokens = page.evaluate(
            "() => [localStorage.getItem('handoff.access_token'), localStorage.getItem('handoff.refresh_token')]"
        )
        assert tokens[0] != "garbage.not-a-jwt" and tokens[1] != refresh_before
        texts = [
            m["text"] for m in shop.api.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"]
        ]
        assert texts.count("Yes, here after a refresh") == 1  # the retry did not store it twice

        # A reload with a stale access token: every first request gets a 401 at once, and they share one
        # refresh (the refresh token rotates, so a second refresh with the old one would sign us out).
        reply.fill("typed before the reload")
        page.evaluate("() => localStorage.setItem('handoff.access_token', 'garbage.again')")
        page.reload()
        expect(page.get_by_role("textbox", name="Reply")).to_have_value("typed before the reload")
        expect(page.get_by_role("log")).to_contain_text("Yes, here after a refresh")
        expect(conversation_list(page).get_by_role("link", name=re.compile("Rita Refresh"))).to_be_visible()
        expect(page.get_by_test_id("connection")).to_have_text("Connected")
        page.get_by_role("button", name="Send").click()
        visitor.recv_until(is_staff_message("typed before the reload"))
        expect(page.get_by_role("button", name="Sign in")).to_have_count(0)

        # When the refresh token is dead too, the session ends: the draft and the route survive signing in again.
        reply.fill("a draft worth keeping")
        page.evaluate(
            "() => { localStorage.setItem('handoff.access_token', 'x'); localStorage.setItem('handoff.refresh_token', 'y'); }"
        )
        page.get_by_role("button", name="Close", exact=True).click()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        page.get_by_role("textbox", name="Email").fill(shop.email)
        page.get_by_role("textbox", name="Password").fill(shop.password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("textbox", name="Reply")).to_have_value("a draft worth keeping")
        assert open_conversation_id(page) == conversation_id
    finally:
        visitor.close()
