"""The admin SPA through axe-core on every screen (once its real content is shown), and with the keyboard alone.

Each screen must have no serious or critical violation (tests/axe.py fails on those), and the admin app is
held to more than that: no violation at any impact, and exactly one <h1> per screen.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.admin_browser.helpers import (
    Shop,
    conversation_list,
    is_staff_message,
    nav,
    open_app,
    sign_in,
    socket_says,
    visitor_says,
)
from tests.axe import assert_accessible, describe
from tests.support import LiveServer, visitor_session, visitor_socket


def check_screen(page: Page, label: str) -> None:
    violations = assert_accessible(page, label=label)
    assert violations == [], f"{label}: axe violations of lower impact:\n{describe(violations)}"
    expect(page.locator("h1")).to_have_count(1)


# ---- every screen -------------------------------------------------------------------------------------------


def test_login_screen_with_and_without_an_error(live: LiveServer, shop: Shop, page: Page) -> None:
    open_app(page, live)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    check_screen(page, "login")

    page.get_by_role("textbox", name="Email").fill(shop.email)
    page.get_by_role("textbox", name="Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check_screen(page, "login with an error")


def test_inbox_and_conversation_view(live: LiveServer, shop: Shop, page: Page) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})  # wide enough for the contact and tags panel
    sign_in(page, live, shop.email, shop.password)
    visitor = visitor_socket(live, visitor_session(live, shop.widget_key, name="Ava Audit"))
    try:
        socket_says(visitor, "Hello, my order https://shop.example/orders/7 is late")
        socket_says(visitor, "Can you check?")
        row = conversation_list(page).get_by_role("link", name=re.compile("Ava Audit"))
        expect(row.get_by_test_id("unread-count")).to_have_text("2")
        check_screen(page, "inbox")

        row.click()
        log = page.get_by_role("log")
        expect(log).to_contain_text("Can you check?")
        page.get_by_role("textbox", name="Reply").fill("Checking now")
        page.get_by_role("button", name="Send").click()
        frame = visitor.recv_until(is_staff_message("Checking now"))
        visitor.send({"type": "read", "message_id": frame["message"]["id"]})
        expect(log.get_by_test_id("delivery-status")).to_have_text("Read")
        page.get_by_role("combobox", name="Add tag").fill("shipping")
        page.keyboard.press("Enter")
        expect(page.get_by_role("button", name="Remove tag shipping")).to_be_visible()
        expect(page.get_by_role("heading", level=2, name="Ava Audit")).to_be_visible()
        check_screen(page, "conversation view")

        page.get_by_role("button", name="Keyboard shortcuts").click()
        expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
        check_screen(page, "keyboard shortcuts dialog")
    finally:
        visitor.close()


def test_followups_history_analytics_and_team(live: LiveServer, shop: Shop, page: Page) -> None:
    session = visitor_session(live, shop.widget_key, name="Hal History")
    closed_id = visitor_says(live, session, "Where is the invoice?")["conversation_id"]
    assert shop.api.post("/admin/api/send", {"conversation_id": closed_id, "text": "Sent it"}).status_code == 200
    assert shop.api.patch(f"/admin/api/conversations/{closed_id}", {"status": "closed"}).status_code == 200
    followup = httpx.post(
        f"{live.url}/followup",
        json={"widget_key": shop.widget_key, "name": "Fran Follow", "email": "fran@example.com", "message": "Call me"},
    )
    assert followup.status_code == 201, followup.text

    sign_in(page, live, shop.email, shop.password)
    menu = nav(page)

    menu.get_by_role("link", name="Follow-ups").click()
    expect(page.get_by_role("main")).to_contain_text("Fran Follow")
    check_screen(page, "follow-ups")

    menu.get_by_role("link", name="History").click()
    results = page.get_by_role("list", name="Results")
    results.get_by_role("link", name=re.compile("Hal History")).click()
    expect(page.get_by_role("log", name="History transcript")).to_contain_text("Sent it")
    check_screen(page, "history with a transcript open")

    menu.get_by_role("link", name="Analytics").click()
    expect(page.get_by_test_id("kpi-conversations")).to_have_attribute("data-value", "1")
    # Recharts draws its tooltip and legend in the series colours: show the tooltip so axe checks it too.
    page.get_by_role("figure", name="Conversations by day and channel").locator(".recharts-bar-rectangle").first.hover()
    expect(page.locator(".recharts-tooltip-wrapper").first).to_contain_text("Web chat")
    check_screen(page, "analytics with a chart tooltip")

    menu.get_by_role("link", name="Team").click()
    expect(page.get_by_role("main")).to_contain_text(shop.email)
    check_screen(page, "team")


def test_settings_with_the_brand_colour_contrast_check(live: LiveServer, shop: Shop, page: Page) -> None:
    sign_in(page, live, shop.email, shop.password)
    nav(page).get_by_role("link", name="Settings").click()
    expect(page.get_by_test_id("embed-snippet")).to_contain_text(shop.widget_key)
    hex_box = page.get_by_role("textbox", name="Colour hex")
    status = page.get_by_test_id("contrast-check")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_contain_text("The widget uses white text.")
    check_screen(page, "settings")

    # Yellow: white text would be unreadable; the widget uses dark text, and the preview shows it.
    hex_box.fill("#ffff00")
    expect(status).to_contain_text("Low contrast: white text on #ffff00 reaches only 1.07:1")
    expect(status).to_contain_text("The widget will use dark text (#111111, 17.58:1) instead.")
    expect(hex_box).to_have_accessible_description(re.compile("Low contrast"))
    head = page.get_by_label("Widget preview").locator(".preview-head")
    expect(head).to_have_css("color", "rgb(17, 17, 17)")
    check_screen(page, "settings with #ffff00")

    # Neither white nor dark text reaches 4.5:1: the widget darkens the colour a step.
    hex_box.fill("#777777")
    expect(status).to_contain_text("neither white text (4.48:1) nor dark text (4.22:1) reaches 4.5:1")
    expect(status).to_contain_text("white text (#ffffff) on #767676 (4.54:1)")
    expect(head).to_have_css("background-color", "rgb(118, 118, 118)")
    check_screen(page, "settings with #777777")

    hex_box.fill("#ffff00")
    page.get_by_role("button", name="Save widget settings").click()
    expect(page.get_by_text("Widget settings saved.")).to_be_visible()
    assert shop.api.get("/api/v1/tenant").json()["settings"]["color"] == "#ffff00"
    check_screen(page, "settings after saving")


# ---- the keyboard alone -------------------------------------------------------------------------------------

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  return {
    html: el.outerHTML.slice(0, 120),
    focusVisible: el.matches(':focus-visible'),
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
    shadow: s.boxShadow !== 'none',
  };
}"""

# Every stylesheet rule for :focus-visible that draws something (an outline or a box shadow).
# (A shorthand written with var() leaves its longhands empty in the CSSOM, so read the shorthands too.)
FOCUS_RULES = """() => {
  const draws = (value) => !!value && !/^\\s*(none|0(px)?)(\\s|$)/.test(value);
  return [...document.styleSheets].flatMap((sheet) => [...sheet.cssRules])
    .filter((r) => r.selectorText && r.selectorText.includes(':focus-visible'))
    .filter((r) => ['outline', 'outline-style', 'box-shadow'].some((p) => draws(r.style.getPropertyValue(p))))
    .map((r) => r.selectorText);
}"""


def focus_ring(page: Page) -> dict[str, Any]:
    """The focused element, which must show a visible focus ring (a keyboard focus always matches :focus-visible)."""
    focused = page.evaluate(FOCUSED)
    assert focused is not None, "nothing has the focus"
    assert focused["focusVisible"], f"focused without :focus-visible: {focused['html']}"
    assert focused["outline"] or focused["shadow"], f"no visible focus ring on {focused['html']}"
    return dict(focused)


def tab_to(page: Page, target: Locator, *, limit: int = 60) -> int:
    """Press Tab until `target` has the focus, checking the focus ring at every stop; returns the presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        focus_ring(page)
        if target.evaluate("(el) => el === document.activeElement"):
            return presses
    raise AssertionError(f"{target} not reached in {limit} presses of Tab")


def test_keyboard_only_sign_in_and_reply(live: LiveServer, shop: Shop, page: Page) -> None:
    open_app(page, live)
    rules = page.evaluate(FOCUS_RULES)
    assert ":focus-visible" in rules, rules  # the app-wide focus ring

    # Sign in: the email field has the focus on load.
    expect(page.get_by_role("textbox", name="Email")).to_be_focused()
    page.keyboard.type(shop.email)
    page.keyboard.press("Tab")
    expect(page.get_by_role("textbox", name="Password")).to_be_focused()
    focus_ring(page)
    page.keyboard.type(shop.password)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("connection")).to_have_text("Connected")

    visitor = visitor_socket(live, visitor_session(live, shop.widget_key, name="Kim Keyboard"))
    try:
        socket_says(visitor, "Is my parcel on its way?")
        row = conversation_list(page).get_by_role("link", name=re.compile("Kim Keyboard"))
        expect(row).to_be_visible()

        # Tab through the shell to the conversation, every stop with a visible ring, and open it.
        tab_to(page, row)
        page.keyboard.press("Enter")
        log = page.get_by_role("log")
        expect(log).to_contain_text("Is my parcel on its way?")

        reply = page.get_by_role("textbox", name="Reply")
        tab_to(page, reply)
        # Shift+Tab leaves the reply box for the transcript (focusable, so it scrolls by keyboard), Tab returns.
        page.keyboard.press("Shift+Tab")
        expect(log).to_be_focused()
        focus_ring(page)
        page.keyboard.press("Tab")
        expect(reply).to_be_focused()

        page.keyboard.type("Yes, it ships today")
        page.keyboard.press("Enter")
        frame = visitor.recv_until(is_staff_message("Yes, it ships today"))
        assert frame["message"]["text"] == "Yes, it ships today"
        expect(reply).to_have_value("")
        expect(log.get_by_test_id("message").last).to_contain_text("Yes, it ships today")

        # "?" opens the shortcuts dialog (not while typing); it holds the focus; Escape closes it and gives
        # the focus back.
        page.keyboard.press("Shift+Tab")
        expect(log).to_be_focused()
        page.keyboard.press("?")
        dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
        close = dialog.get_by_role("button", name="Close")
        expect(close).to_be_focused()
        focus_ring(page)
        page.keyboard.press("Tab")
        expect(close).to_be_focused()
        page.keyboard.press("Shift+Tab")
        expect(close).to_be_focused()
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
        expect(log).to_be_focused()
    finally:
        visitor.close()
