"""The admin SPA live: sign in, messages arriving and replies leaving, assign/close/reopen, XSS, reconnects."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.admin_browser.helpers import (
    Shop,
    conversation_list,
    is_conversation,
    is_staff_message,
    nav,
    open_app,
    open_conversation_id,
    open_visitor_chat,
    server_conversation,
    sign_in,
    socket_says,
    visitor_says,
)
from tests.conftest import BACKENDS
from tests.support import LiveServer, add_user, eventually, visitor_session, visitor_socket

# Stored data on both databases: the PostgreSQL run is a real server on a scratch database.
pytestmark = BACKENDS

# ---- 1. sign in ------------------------------------------------------------------------------------------


def test_login_rejects_bad_password_then_lands_in_inbox(live: LiveServer, shop: Shop, page: Page) -> None:
    open_app(page, live)
    page.get_by_role("textbox", name="Email").fill(shop.email)
    page.get_by_role("textbox", name="Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"invalid|incorrect|wrong|credentials", re.I))
    expect(nav(page)).to_have_count(0)

    page.get_by_role("textbox", name="Password").fill(shop.password)
    page.get_by_role("button", name="Sign in").click()
    expect(nav(page).get_by_role("link", name="Inbox")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("region", name="Inbox")).to_be_visible()
    expect(page.get_by_test_id("connection")).to_have_text("Connected")
    expect(page.get_by_role("alert")).to_have_count(0)
    # A reload stays signed in (tokens in localStorage).
    page.reload()
    expect(page.get_by_role("region", name="Inbox")).to_be_visible()


# ---- 2./3. live list, transcript, reply reaching the visitor ----------------------------------------------


def test_visitor_message_appears_live_and_reply_reaches_visitor(live: LiveServer, shop: Shop, page: Page) -> None:
    sign_in(page, live, shop.email, shop.password)
    session = visitor_session(live, shop.widget_key, name="Vera Visitor")
    visitor = visitor_socket(live, session)
    try:
        socket_says(visitor, "Where is my parcel?")
        row = conversation_list(page).get_by_role("link", name=re.compile("Vera Visitor"))
        expect(row).to_contain_text("Where is my parcel?")
        expect(row.get_by_test_id("unread-count")).to_have_text("1")
        socket_says(visitor, "It was due on Monday")
        expect(row.get_by_test_id("unread-count")).to_have_text("2")
        expect(nav(page).get_by_role("link", name=re.compile("Inbox"))).to_contain_text("2")

        row.click()
        log = page.get_by_role("log")
        expect(log).to_contain_text("Where is my parcel?")
        expect(log).to_contain_text("It was due on Monday")
        expect(row.get_by_test_id("unread-count")).to_have_count(0)
        conversation_id = open_conversation_id(page)
        # The SPA's read receipt (sent on its socket) reaches the server.
        eventually(lambda: server_conversation(shop, conversation_id)["unread_count"] == 0)

        # While open, new visitor messages are read as they arrive; typing shows both ways.
        socket_says(visitor, "Tracking number is 123")
        expect(log).to_contain_text("Tracking number is 123")
        expect(row.get_by_test_id("unread-count")).to_have_count(0)
        visitor.send({"type": "typing"})
        expect(page.get_by_text("Visitor is typing…")).to_be_visible()

        page.get_by_role("textbox", name="Reply").fill("It ships today")
        visitor.recv_until(lambda f: f["type"] == "typing")
        page.get_by_role("button", name="Send").click()
        frame = visitor.recv_until(is_staff_message("It ships today"))
        assert frame["message"]["conversation_id"] == conversation_id
        assert frame["message"]["author"]["name"] == shop.name
        expect(page.get_by_role("textbox", name="Reply")).to_have_value("")
        status = log.get_by_test_id("message").last.get_by_test_id("delivery-status")
        expect(status).to_have_text(re.compile("Sent|Delivered"))
        # The visitor reads it: the SPA upgrades the status live.
        visitor.send({"type": "read", "message_id": frame["message"]["id"]})
        expect(status).to_have_text("Read")
    finally:
        visitor.close()


# ---- 4. assign, close, reopen -----------------------------------------------------------------------------


def test_assign_close_and_reopen_reach_server_and_visitor(live: LiveServer, shop: Shop, page: Page) -> None:
    _, teammate = add_user(shop.api, "staff", name="Bo Teammate")
    visitor, conversation_id = open_visitor_chat(page, live, shop, "Carl Closer", "Please close this when done")
    try:
        assignee = page.get_by_role("combobox", name="Assignee")

        page.get_by_role("button", name="Assign to me").click()
        expect(assignee).to_have_value(str(shop.user_id))
        expect(page.get_by_role("button", name="Assign to me")).to_have_count(0)
        assert server_conversation(shop, conversation_id)["assignee"]["id"] == shop.user_id

        # Teammates come from GET /api/v1/team.
        expect(assignee.get_by_role("option", name=re.compile("Bo Teammate"))).to_have_count(1)
        assignee.select_option(str(teammate["id"]))
        expect(assignee).to_have_value(str(teammate["id"]))
        assert server_conversation(shop, conversation_id)["assignee"] == {"id": teammate["id"], "name": "Bo Teammate"}
        row = conversation_list(page).get_by_test_id(f"convo-{conversation_id}")
        expect(row).to_contain_text("Bo Teammate")

        page.get_by_role("button", name="Close", exact=True).click()
        expect(page.get_by_role("button", name="Reopen")).to_be_visible()
        assert server_conversation(shop, conversation_id)["status"] == "closed"
        closed = visitor.recv_until(is_conversation("closed"))
        assert closed["conversation"]["id"] == conversation_id
        expect(row).to_have_count(0)  # gone from the "open" list, live
        page.get_by_role("button", name="Closed", exact=True).click()
        expect(row).to_be_visible()
        page.get_by_role("button", name="Open", exact=True).click()
        expect(row).to_have_count(0)

        page.get_by_role("button", name="Reopen").click()
        expect(page.get_by_role("button", name="Close", exact=True)).to_be_visible()
        assert server_conversation(shop, conversation_id)["status"] == "open"
        visitor.recv_until(is_conversation("open"))
        expect(row).to_be_visible()
    finally:
        visitor.close()


# ---- 5. XSS -----------------------------------------------------------------------------------------------

PAYLOAD = '<img src=x onerror="window.__pwned=1">'


def test_visitor_markup_renders_as_text(live: LiveServer, shop: Shop, page: Page) -> None:
    sign_in(page, live, shop.email, shop.password)
    session = visitor_session(live, shop.widget_key, name=PAYLOAD)
    sent = visitor_says(live, session, PAYLOAD)
    row = conversation_list(page).get_by_test_id(f"convo-{sent['conversation_id']}")
    expect(row.locator(".convo-name")).to_have_text(PAYLOAD)
    expect(row.locator(".convo-last")).to_have_text(PAYLOAD)
    row.click()
    log = page.get_by_role("log")
    expect(log.get_by_test_id("message").first.locator(".msg-body")).to_have_text(PAYLOAD)
    expect(page.get_by_role("heading", level=2, name=PAYLOAD)).to_be_visible()
    assert page.locator("img").count() == 0
    assert log.locator("img").count() == 0 and conversation_list(page).locator("img").count() == 0
    assert page.evaluate("() => typeof window.__pwned") == "undefined"
    # A later message arriving live (staff socket event) is text too.
    visitor_says(live, session, "again " + PAYLOAD)
    expect(log).to_contain_text("again " + PAYLOAD)
    assert page.locator("img").count() == 0
    assert page.evaluate("() => typeof window.__pwned") == "undefined"


# ---- 7. live reconnection (restarts the module's server: keep it last) -----------------------------------------

WATCH_CONNECTION = """() => {
  window.__connLog = [];
  const el = document.querySelector('[data-testid=connection]');
  new MutationObserver(() => window.__connLog.push(el.textContent)).observe(el, {
    childList: true, characterData: true, subtree: true,
  });
}"""


# Longer than the socket's largest backoff (maxDelayMs, 30 s) plus a restart: the retry in flight when the
# server comes back may be that far off on a slow machine.
RECONNECT_MS = 45_000


def test_reconnects_after_server_restart_without_reload(live: LiveServer, shop: Shop, page: Page) -> None:
    sign_in(page, live, shop.email, shop.password)
    first = visitor_session(live, shop.widget_key, name="Before Restart")
    visitor_says(live, first, "before the restart")
    conversation_list(page).get_by_role("link", name=re.compile("Before Restart")).click()
    log = page.get_by_role("log")
    expect(log).to_contain_text("before the restart")
    page.evaluate("() => { window.__sameDocument = true; }")
    indicator = page.get_by_test_id("connection")

    live.stop()
    expect(indicator).to_have_text("Reconnecting…")
    live.start()
    # Sent before the SPA is back (it is still in its backoff): it arrives by socket or by the resync.
    visitor_says(live, first, "during the reconnect")
    expect(indicator).to_have_text("Connected", timeout=RECONNECT_MS)
    expect(log).to_contain_text("during the reconnect")
    expect(log.get_by_text("during the reconnect")).to_have_count(1)

    second = visitor_session(live, shop.widget_key, name="After Restart")
    visitor_says(live, second, "after the restart")
    row = conversation_list(page).get_by_role("link", name=re.compile("After Restart"))
    expect(row).to_contain_text("after the restart")
    expect(row.get_by_test_id("unread-count")).to_have_text("1")

    # Again, with an access token the server refuses: the socket refreshes it, and never claims to be
    # connected while its credentials are being turned down.
    page.evaluate("() => localStorage.setItem('handoff.access_token', 'garbage.not-a-jwt')")
    page.evaluate(WATCH_CONNECTION)
    live.stop()
    expect(indicator).to_have_text("Reconnecting…")
    live.start()
    expect(indicator).to_have_text("Connected", timeout=RECONNECT_MS)
    assert page.evaluate("() => localStorage.getItem('handoff.access_token')") != "garbage.not-a-jwt"
    visitor_says(live, second, "after the refresh")
    expect(row).to_contain_text("after the refresh")
    assert page.evaluate("() => window.__connLog") == ["Reconnecting…", "Connected"]
    assert page.evaluate("() => window.__sameDocument") is True  # no reload happened
