"""The widget with the keyboard alone (issue 20): from the demo host page, Tab to the launcher, open the chat,
send a message with Enter, read the staff reply, go to the follow-up form, fill it in and send it, and close
the widget with Escape, the focus back on the launcher. No clicks: only page.keyboard. Every stop inside the
widget must show its focus ring (helpers.focus_ring: an outline of 3:1 or more against what it is drawn on,
read from the computed style in the shadow root), in the default colour and in brand colours that the
widget has to adjust for.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.widget_browser.helpers import LIVE, Shop, all_sent, bubbles, focus_ring, log, set_brand_colour

IN_WIDGET = "(el) => { let a = document.activeElement; while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement; return a === el; }"


def has_focus(target: Locator) -> bool:
    return bool(target.evaluate(IN_WIDGET))


def press_until(page: Page, key: str, target: Locator, *, limit: int = 20) -> int:
    """Press `key` until `target` has the focus, checking the focus ring at every stop inside the widget."""
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if page.evaluate("() => document.activeElement && document.activeElement.tagName") == "HANDOFF-WIDGET":
            focus_ring(page)
        if has_focus(target):
            return presses
    raise AssertionError(f"{target} not reached in {limit} presses of {key}")


def press(page: Page, key: str, target: Locator) -> None:
    """Press `key` once; `target` must then have the focus, with a visible ring."""
    page.keyboard.press(key)
    expect(target).to_be_focused()
    focus_ring(page)


@pytest.mark.parametrize("colour", [None, "#ffff00", "#ffffff"], ids=["default", "ffff00", "ffffff"])
def test_keyboard_only_chat_followup_and_escape(page: Page, shop: Shop, colour: str | None) -> None:
    if colour:
        set_brand_colour(shop, colour)
    page.goto(shop.demo_url)
    launcher = page.get_by_role("button", name="Open chat")
    expect(launcher).to_be_visible()
    if colour:  # the colour comes with the session
        expect(page.locator(".hf")).to_have_attribute("style", re.compile("--c"))

    # Tab through the host page's own controls to the launcher, the widget's one stop while it is closed.
    press_until(page, "Tab", launcher)
    focus_ring(page)
    page.keyboard.press("Enter")
    message = page.get_by_role("textbox", name="Message")
    expect(message).to_be_focused()
    expect(page.get_by_role("dialog")).to_be_visible()
    focus_ring(page)
    expect(message).to_have_value("")  # the Enter that opened the widget typed nothing

    # The panel's order: Leave a message, Minimize (header), the transcript, Attach a file, Message, Send, then
    # the launcher.
    send = page.get_by_role("button", name="Send")
    attach = page.get_by_role("button", name="Attach a file")
    close_chat = page.get_by_role("button", name="Close chat")
    transcript = log(page)
    minimize = page.get_by_role("button", name="Minimize")
    leave = page.get_by_role("button", name="Leave a message")
    press(page, "Tab", send)
    press(page, "Tab", close_chat)
    press(page, "Shift+Tab", send)
    press(page, "Shift+Tab", message)
    press(page, "Shift+Tab", attach)
    press(page, "Shift+Tab", transcript)
    press(page, "Shift+Tab", minimize)
    press(page, "Shift+Tab", leave)
    press_until(page, "Tab", message)

    # Enter sends; Shift+Enter would be a new line.
    page.keyboard.type("Where is my order?")
    page.keyboard.press("Enter")
    expect(bubbles(page, "Where is my order?")).to_have_count(1)
    expect(message).to_have_value("")
    expect(message).to_be_focused()
    all_sent(page)
    assert shop.messages() == [("visitor", "Where is my order?")]
    shop.reply("It left the warehouse today.")
    expect(bubbles(page, "It left the warehouse today.")).to_have_count(1, timeout=LIVE)
    expect(message).to_be_focused()  # a reply arriving does not move the focus

    # Leave a message: back through the transcript and the header, then the follow-up form.
    press_until(page, "Shift+Tab", leave)
    page.keyboard.press("Enter")
    name = page.get_by_role("textbox", name="Name")
    expect(name).to_be_focused()
    focus_ring(page)
    page.keyboard.type("Kim Keyboard")
    press(page, "Tab", page.get_by_role("textbox", name="Email"))
    page.keyboard.type("kim@example.com")
    press(page, "Tab", page.get_by_role("textbox", name="Phone"))
    press(page, "Tab", page.get_by_role("textbox", name="Message"))
    page.keyboard.type("Please email me when it arrives.")
    press(page, "Tab", page.get_by_role("button", name="Submit"))
    page.keyboard.press("Enter")
    thanks = page.get_by_role("heading", name="Thank you!")
    expect(thanks).to_be_visible(timeout=LIVE)
    expect(thanks).to_be_focused()
    press(page, "Tab", page.get_by_role("button", name="Back to conversation"))
    followups = shop.admin.get("/admin/api/followups").json()["followups"]
    assert [(f["name"], f["email"], f["message"]) for f in followups] == [
        ("Kim Keyboard", "kim@example.com", "Please email me when it arrives.")
    ]

    # Escape closes the panel and gives the focus back to the launcher.
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()
    focus_ring(page)
    # and opens again where the conversation is, from the keyboard
    page.keyboard.press("Enter")
    expect(message).to_be_focused()
    expect(bubbles(page, "It left the warehouse today.")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(launcher).to_be_focused()
