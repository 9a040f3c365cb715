"""The widget through axe-core (tests/axe.py) inside its open shadow root, on every screen a visitor meets: the
closed launcher (also with an unread badge), the open chat with messages both ways, a message that failed to
send, the follow-up form (empty, with errors, and sent) and the pre-chat form (empty and with an error), on a
desktop and a phone-sized viewport, in brand colours from yellow to white, where white text cannot be read and
the widget must derive another.

The checks run within the widget's host element only: the demo host page keeps a deliberately hostile box
(red text) to show what the widget's Shadow DOM protects it from, and that box is not the widget's to fix.
axe checks text contrast only, so `brand_parts` also checks the icons on the brand colour (launcher, send) and
the focus ring colour (tests/widget_browser/helpers.py).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.axe import AccessibilityViolations, assert_accessible, axe_violations
from tests.widget_browser.helpers import (
    BRAND_COLOURS,
    LIVE,
    Shop,
    all_sent,
    brand_parts,
    bubbles,
    log,
    open_chat,
    set_brand_colour,
    type_and_send,
)

HOST = "handoff-widget"
VIEWPORTS = [
    pytest.param({"width": 1100, "height": 800}, id="desktop"),
    pytest.param({"width": 390, "height": 844}, id="phone"),
]
COLOURS = [pytest.param(c, id=c[1:]) for c in BRAND_COLOURS]


# resolves once the widget's CSS transitions (the panel fading in, 0.18 s) have ended: axe counts opacity
TRANSITIONS_DONE_JS = """() => Promise.all(document.querySelector('handoff-widget').shadowRoot.getAnimations()
    .filter((a) => a instanceof CSSTransition).map((a) => a.finished.catch(() => null))).then(() => true)"""


def check_widget(page: Page, label: str) -> None:
    """No serious or critical axe violation inside the widget, and every part on the brand colour readable."""
    page.evaluate(TRANSITIONS_DONE_JS)
    assert_accessible(page, within_shadow_host=HOST, label=label)
    brand_parts(page)


# ---- the helper really looks inside open shadow roots --------------------------------------------------------

SHADOW_PAGE = """<!doctype html><html lang="en"><head><title>Shadow check</title></head><body><main>
<h1>Host page</h1><p>Readable text outside any shadow root.</p><bad-host></bad-host><good-host></good-host></main>
<script>
  for (const [tag, color] of [['bad-host', '#bbbbbb'], ['good-host', '#222222']]) {
    document.querySelector(tag).attachShadow({ mode: 'open' }).innerHTML =
      `<div style="background:#fff"><p style="color:${color}">Text inside the ${tag} shadow root</p></div>`;
  }
</script></body></html>"""


def test_axe_checks_nodes_inside_open_shadow_roots(page: Page) -> None:
    page.set_content(SHADOW_PAGE)
    # Light grey on white inside bad-host's shadow root: found from the document and from the host.
    for host in (None, "bad-host"):
        found = [(v["id"], n["target"]) for v in axe_violations(page, within_shadow_host=host) for n in v["nodes"]]
        assert found == [("color-contrast", [["bad-host", "p"]])], (host, found)
    assert axe_violations(page, within_shadow_host="good-host") == []
    with pytest.raises(AccessibilityViolations, match=r"color-contrast \(serious\)[\s\S]*bad-host >> p") as failed:
        assert_accessible(page, within_shadow_host="bad-host", label="scratch")
    assert [v["id"] for v in failed.value.violations] == ["color-contrast"]
    with pytest.raises(Exception, match="no element matches missing-host"):
        axe_violations(page, within_shadow_host="missing-host")


# ---- the widget's screens ------------------------------------------------------------------------------------


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_closed_launcher(page: Page, shop: Shop, viewport: dict[str, int], colour: str) -> None:
    set_brand_colour(shop, colour)
    page.set_viewport_size(viewport)
    page.goto(shop.demo_url)
    expect(page.get_by_role("button", name="Open chat")).to_be_visible()
    # the tenant's colour arrives with the session, after the launcher shows: wait for it
    expect(page.locator(".hf")).to_have_attribute("style", re.compile("--c"))
    check_widget(page, f"widget launcher ({viewport['width']}px, {colour})")


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_open_chat_with_a_message(page: Page, shop: Shop, viewport: dict[str, int], colour: str) -> None:
    set_brand_colour(shop, colour)
    page.set_viewport_size(viewport)
    open_chat(page, shop.demo_url)
    type_and_send(page, "Hello, is anyone there?")
    expect(bubbles(page, "Hello, is anyone there?")).to_have_count(1)
    all_sent(page)
    shop.reply("Yes! See https://example.com/help")
    expect(log(page).get_by_role("link", name="https://example.com/help")).to_be_visible(timeout=LIVE)
    check_widget(page, f"widget open with messages ({viewport['width']}px, {colour})")


def test_open_chat_in_a_brand_colour_white_text_cannot_read_on(page: Page, shop: Shop) -> None:
    # White on #ff0000 is 4.0:1. The widget's rule (the admin app's too) puts #111111 on it (4.7:1).
    set_brand_colour(shop, "#ff0000")
    open_chat(page, shop.demo_url)
    check_widget(page, "widget open on a #ff0000 brand colour")
    head = page.locator(".head")
    expect(head).to_have_css("background-color", "rgb(255, 0, 0)")
    expect(head).to_have_css("color", "rgb(17, 17, 17)")


@pytest.mark.parametrize("colour", COLOURS)
def test_unread_badge_on_the_closed_launcher(page: Page, shop: Shop, colour: str) -> None:
    set_brand_colour(shop, colour)
    open_chat(page, shop.demo_url)
    type_and_send(page, "Call me back?")
    all_sent(page)
    page.keyboard.press("Escape")
    shop.reply("Sure, in five minutes.")
    launcher = page.get_by_role("button", name="Open chat, 1 unread")
    expect(launcher).to_be_visible(timeout=LIVE)
    expect(launcher.locator(".badge")).to_have_text("1")
    check_widget(page, f"widget launcher with an unread badge ({colour})")


@pytest.mark.parametrize("colour", COLOURS)
def test_message_that_failed_to_send(page: Page, shop: Shop, colour: str) -> None:
    set_brand_colour(shop, colour)
    open_chat(page, shop.demo_url)
    type_and_send(page, "y" * 5_000)  # over the server's 4,000-character message limit
    expect(log(page).get_by_text("Not sent")).to_have_count(1, timeout=LIVE)
    expect(log(page).get_by_role("button", name="Retry")).to_be_visible()
    check_widget(page, f"widget with a message not sent ({colour})")


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_followup_form(page: Page, offline_shop: Shop, viewport: dict[str, int], colour: str) -> None:
    set_brand_colour(offline_shop, colour)
    page.set_viewport_size(viewport)
    page.goto(offline_shop.demo_url)
    page.get_by_role("button", name="Open chat").click()
    expect(page.get_by_role("textbox", name="Name")).to_be_focused()
    expect(page.get_by_text("We're away right now")).to_be_visible()
    check_widget(page, f"widget follow-up form ({viewport['width']}px, {colour})")
    # Sent without an email or phone: the errors show on the fields.
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("textbox", name="Email")).to_have_attribute("aria-invalid", "true")
    check_widget(page, f"widget follow-up form with errors ({viewport['width']}px, {colour})")
    page.get_by_role("textbox", name="Name").fill("Ola")
    page.get_by_role("textbox", name="Email").fill("ola@example.com")
    page.get_by_role("textbox", name="Message").fill("Call me.")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible(timeout=LIVE)
    check_widget(page, f"widget follow-up sent ({viewport['width']}px, {colour})")


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_prechat_form(page: Page, shop: Shop, viewport: dict[str, int], colour: str) -> None:
    response = shop.admin.patch("/api/v1/tenant", {"settings": {"color": colour, "prechat_form": True}})
    assert response.status_code == 200, response.text
    page.set_viewport_size(viewport)
    page.goto(shop.demo_url)
    page.get_by_role("button", name="Open chat").click()
    expect(page.get_by_text("Before we start")).to_be_visible()
    expect(page.get_by_role("textbox", name="Name")).to_be_focused()
    check_widget(page, f"widget pre-chat form ({viewport['width']}px, {colour})")
    page.get_by_role("button", name="Start conversation").click()
    expect(page.get_by_role("textbox", name="Name")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Please enter your name.")).to_be_visible()
    check_widget(page, f"widget pre-chat form with an error ({viewport['width']}px, {colour})")
