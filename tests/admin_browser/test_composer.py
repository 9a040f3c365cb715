"""The agent workspace in a real browser: a saved reply inserted with / reaches the visitor, a private note
reaches a second staff member live (with their mention) but never the visitor's real widget, and the
saved-replies settings section; axe checks the composer with its picker open and the settings section."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.admin_browser.helpers import Shop, is_staff_message, nav, open_visitor_chat, sign_in
from tests.axe import assert_accessible, describe
from tests.conftest import BACKENDS
from tests.support import LiveServer, add_user, eventually
from tests.widget_browser.helpers import bubbles, open_chat, transcript, type_and_send

pytestmark = BACKENDS


def check_screen(page: Page, label: str) -> None:
    violations = assert_accessible(page, label=label)
    assert violations == [], f"{label}: axe violations of lower impact:\n{describe(violations)}"


@pytest.fixture
def second_context(browser: Browser) -> Iterator[BrowserContext]:
    """Another staff member's browser (its own localStorage), held to the same rules as `context`."""
    ctx = browser.new_context(viewport={"width": 1100, "height": 800})
    errors: list[str] = []
    ctx.on("page", lambda page: page.on("pageerror", lambda exc: errors.append(str(exc))))
    ctx.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield ctx
    ctx.close()
    assert not errors, f"uncaught errors or CSP violations in the second browser: {errors}"


def test_a_saved_reply_inserted_with_slash_reaches_the_visitor(live: LiveServer, shop: Shop, page: Page) -> None:
    created = shop.api.post(
        "/api/v1/canned-responses",
        {"shortcut": "thanks", "title": "Thank you", "text": "Thanks {{ contact.name }}, {{ agent.name }} here."},
    )
    assert created.status_code == 201, created.text
    assert shop.api.post("/api/v1/canned-responses", {"shortcut": "refund", "text": "Refunds take 5 days."}).is_success
    visitor, _ = open_visitor_chat(page, live, shop, "Vera Visitor", "Can you help?")
    try:
        box = page.get_by_role("textbox", name="Reply")
        box.press_sequentially("/th")
        picker = page.get_by_role("listbox", name="Saved replies")
        expect(picker.get_by_role("option")).to_have_count(1)
        expect(picker.get_by_role("option", name=re.compile(r"^\/thanks"))).to_have_attribute("aria-selected", "true")
        check_screen(page, "composer with the saved-reply picker open")
        box.press("Enter")
        wanted = f"Thanks Vera Visitor, {shop.name} here."
        expect(box).to_have_value(wanted)
        expect(picker).to_have_count(0)
        box.press("Enter")
        visitor.recv_until(is_staff_message(wanted))
        expect(page.get_by_role("log")).to_contain_text(wanted)
    finally:
        visitor.close()


def test_a_note_reaches_a_teammate_live_and_never_the_visitors_widget(
    live: LiveServer, shop: Shop, page: Page, second_context: BrowserContext
) -> None:
    _, cleo = add_user(shop.api, name="Cleo Park")
    sign_in(page, live, shop.email, shop.password)  # staff online: the widget offers the chat
    widget = page.context.new_page()
    open_chat(widget, f"{live.url}/widget/demo?key={shop.widget_key}")
    type_and_send(widget, "My order is late")
    expect(bubbles(widget, "My order is late")).to_have_count(1)

    # The widget shows the bubble as it sends; the conversation exists once the server has stored it.
    conversation_id = eventually(lambda: shop.api.get("/admin/api/convos").json()["conversations"])[0]["id"]
    page.goto(f"{live.url}/admin-app/#/inbox/{conversation_id}")
    expect(page.get_by_role("log")).to_contain_text("My order is late")
    teammate = second_context.new_page()
    sign_in(teammate, live, cleo["email"], cleo["password"])
    teammate.goto(f"{live.url}/admin-app/#/inbox/{conversation_id}")
    expect(teammate.get_by_role("log")).to_contain_text("My order is late")

    page.get_by_role("button", name="Note", exact=True).click()
    note_box = page.get_by_role("textbox", name="Private note")
    expect(note_box).to_have_accessible_description(re.compile("only your team sees this", re.I))
    note_box.press_sequentially("Refund approved, @Cle")
    expect(page.get_by_role("listbox", name="Team members").get_by_role("option", name="Cleo Park")).to_be_visible()
    check_screen(page, "composer in note mode with the mention picker open")
    note_box.press("Enter")
    note_box.press_sequentially("please confirm")
    note_box.press("Enter")
    note_text = "Refund approved, @Cleo Park please confirm"
    mine = page.get_by_role("log").get_by_role("listitem").filter(has_text=note_text)
    expect(mine).to_contain_text("Private note")

    # The teammate sees it live, set apart, and is told they were mentioned.
    theirs = teammate.get_by_role("log").get_by_role("listitem").filter(has_text=note_text)
    expect(theirs).to_contain_text("Private note")
    expect(teammate.get_by_text(f"{shop.name} mentioned you")).to_be_visible()

    # A reply after the note: once the widget shows it, anything sent before it has arrived too.
    page.get_by_role("button", name="Note", exact=True).click()
    reply_box = page.get_by_role("textbox", name="Reply")
    reply_box.fill("Your refund is on its way")
    reply_box.press("Enter")
    expect(bubbles(widget, "Your refund is on its way")).to_have_count(1)
    assert [text for _, text in transcript(widget) if "Refund approved" in text] == []
    # A reload rebuilds the widget's transcript from the server: still no note.
    widget.reload()
    open_chat(widget)
    expect(bubbles(widget, "Your refund is on its way")).to_have_count(1)
    assert all("Refund approved" not in text for _, text in transcript(widget))
    expect(widget.get_by_text("Refund approved")).to_have_count(0)


def test_the_saved_replies_settings_section(live: LiveServer, shop: Shop, page: Page) -> None:
    sign_in(page, live, shop.email, shop.password)
    nav(page).get_by_role("link", name="Settings").click()
    section = page.get_by_role("region", name="Saved replies")
    expect(section).to_contain_text("No saved replies yet.")
    form = section.get_by_role("form", name="Add saved reply")
    form.get_by_role("textbox", name="Shortcut").fill("hello")
    form.get_by_role("textbox", name="Text").fill("Hi {{ contact.name }}!")
    form.get_by_role("button", name="Add saved reply").click()
    expect(section.get_by_role("status")).to_have_text("Saved reply /hello added.")
    expect(section.get_by_role("list", name="Saved replies")).to_contain_text("Hi {{ contact.name }}!")

    form.get_by_role("textbox", name="Shortcut").fill("hello")
    form.get_by_role("textbox", name="Text").fill("again")
    form.get_by_role("button", name="Add saved reply").click()
    expect(form.get_by_role("alert")).to_have_text("another saved reply already uses this shortcut")
    form.get_by_role("textbox", name="Shortcut").fill("sneaky")
    form.get_by_role("textbox", name="Text").fill("{{ ''.__class__ }}")
    form.get_by_role("button", name="Add saved reply").click()
    expect(form.get_by_role("alert")).to_have_text("text may not reach attribute '__class__'")
    check_screen(page, "settings: saved replies with an error")

    section.get_by_role("button", name="Edit /hello").click()
    edit = section.get_by_role("form", name="Save /hello")
    edit.get_by_role("textbox", name="Text").fill("Welcome back, {{ contact.name }}")
    edit.get_by_role("button", name="Save /hello").click()
    expect(section.get_by_role("list", name="Saved replies")).to_contain_text("Welcome back")
    section.get_by_role("button", name="Delete /hello").click()
    expect(section).to_contain_text("No saved replies yet.")
    assert shop.api.get("/api/v1/canned-responses").json()["canned_responses"] == []
