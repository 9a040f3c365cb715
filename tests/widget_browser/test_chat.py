"""The widget against the real server: chatting both ways, surviving a restart and a crash with nothing
lost or doubled, the offline follow-up form, returning visitors and several tabs (issue 5's "Done when")."""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.conftest import BACKENDS
from tests.support import LiveServer
from tests.widget_browser.helpers import (
    LIVE,
    RECONNECT,
    SENT,
    Shop,
    all_sent,
    bubbles,
    log,
    open_chat,
    transcript,
    type_and_send,
    visitor_id,
)

# Stored data on both databases: the PostgreSQL run is a real server on a scratch database.
pytestmark = BACKENDS

# ---- 1, 2: chat both ways -----------------------------------------------------------------------------


def test_visitor_message_is_shown_and_stored(page: Page, shop: Shop) -> None:
    page.goto(shop.demo_url)
    launcher = page.get_by_role("button", name=re.compile("chat", re.I))
    expect(launcher).to_have_accessible_name("Open chat")
    open_chat(page)
    expect(page.get_by_role("button", name="Close chat")).to_be_visible()
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    type_and_send(page, "Hello from the browser")
    expect(bubbles(page, "Hello from the browser")).to_have_count(1)
    expect(log(page).get_by_text(SENT)).to_have_count(1)
    expect(page.get_by_role("textbox", name="Message")).to_have_value("")
    # stored server-side, on this visitor's webchat conversation
    conversation = shop.conversation()
    assert conversation["channel"] == "webchat" and conversation["status"] == "open"
    assert conversation["contact"]["external_id"] == visitor_id(page, shop.key)
    assert shop.messages() == [("visitor", "Hello from the browser")]
    # Enter sends too; Shift+Enter is a newline
    box = page.get_by_role("textbox", name="Message")
    box.fill("line one")
    box.press("Shift+Enter")
    box.press_sequentially("line two")
    box.press("Enter")
    expect(bubbles(page, "line one\nline two")).to_have_count(1)
    all_sent(page)
    assert shop.messages() == [("visitor", "Hello from the browser"), ("visitor", "line one\nline two")]


def test_staff_reply_appears_live(page: Page, shop: Shop) -> None:
    open_chat(page, shop.demo_url)
    expect(page.get_by_text("Online", exact=True)).to_be_visible()
    type_and_send(page, "Is anyone there?")
    all_sent(page)
    page.evaluate("window.__sameDocument = true")
    shop.reply("Yes, Admin here. How can I help?")
    expect(bubbles(page, "Yes, Admin here. How can I help?")).to_have_count(1, timeout=LIVE)
    assert page.evaluate("window.__sameDocument") is True  # live, not a reload
    assert transcript(page) == [("visitor", "Is anyone there?"), ("staff", "Yes, Admin here. How can I help?")]
    # while the panel is closed, a reply shows as unread on the launcher
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Open chat")).to_be_focused()
    shop.reply("Still there?")
    expect(page.get_by_role("button", name=re.compile(r"^Open chat, 1 unread$"))).to_be_visible(timeout=LIVE)
    open_chat(page)
    expect(bubbles(page, "Still there?")).to_have_count(1)


# ---- 3: restart and crash -----------------------------------------------------------------------------


# counts the widget's sockets and records the frames it sends, without changing what it does
SOCKET_SPY_JS = """(() => {
  const Native = window.WebSocket, spy = (window.__ws = {created: 0, opened: 0, frames: [], last: null});
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      spy.created++;
      spy.last = this;
      this.addEventListener('open', () => spy.opened++);
    }
    send(data) { spy.frames.push(JSON.parse(data)); return super.send(data); }
  };
})()"""


def test_widget_survives_server_restart_and_crash(page: Page, shop: Shop, server: LiveServer) -> None:
    page.add_init_script(SOCKET_SPY_JS)
    http_fallback: list[str] = []

    def on_request(request: Request) -> None:
        if "/webchat" in request.url:
            http_fallback.append(request.url)

    page.on("request", on_request)
    open_chat(page, shop.demo_url)
    sent: list[str] = []

    def say(text: str) -> None:
        type_and_send(page, text)
        sent.append(text)
        expect(bubbles(page, text)).to_have_count(1)

    say("before the restart")
    all_sent(page)
    shop.reply("staff: hello")
    expect(bubbles(page, "staff: hello")).to_have_count(1, timeout=LIVE)

    # server.restart() in two halves (SIGTERM, then start) so the visitor can type while it is down; then a crash
    for outage, stop in (("restart", server.stop), ("crash", server.kill)):
        sockets_before = page.evaluate("window.__ws.opened")
        attempts_before = page.evaluate("window.__ws.created")
        shop.go_offline()
        stop()
        expect(page.get_by_text("Reconnecting…")).to_be_visible(timeout=LIVE)
        say(f"during the {outage} 1")
        say(f"during the {outage} 2")
        expect(log(page).get_by_text("Sending…")).to_have_count(2)  # queued, not lost, not failed
        # the server stays down until the widget has tried three times to reconnect, and failed
        page.wait_for_function(
            "(n) => window.__ws.created >= n + 3 && window.__ws.last.readyState === WebSocket.CLOSED",
            arg=attempts_before,
            timeout=RECONNECT,
        )
        # it still says so, and still queues
        expect(page.get_by_text("Reconnecting…")).to_be_visible()
        expect(log(page).get_by_text("Sending…")).to_have_count(2)
        server.start()
        shop.go_online()
        # right after the server is back, likely before the widget has reconnected: arrives by resume
        shop.reply(f"staff: back from the {outage}")
        all_sent(page, timeout=RECONNECT)
        expect(bubbles(page, f"staff: back from the {outage}")).to_have_count(1, timeout=RECONNECT)
        expect(page.get_by_text("Reconnecting…")).to_be_hidden(timeout=RECONNECT)
        # back on a new socket (not the HTTP fallback), which resumed after the last message it had
        page.wait_for_function(
            "(n) => window.__ws.opened > n && window.__ws.last.readyState === WebSocket.OPEN",
            arg=sockets_before,
            timeout=RECONNECT,
        )
        say(f"after the {outage}")
        all_sent(page)
        shop.reply(f"staff: after the {outage}")  # live on the new socket
        expect(bubbles(page, f"staff: after the {outage}")).to_have_count(1, timeout=LIVE)

    resumes = [f["after"] for f in page.evaluate("window.__ws.frames") if f["type"] == "resume"]
    assert resumes[0] == 0 and len(resumes) >= 3 and 0 < resumes[1] < resumes[-1], resumes
    assert http_fallback == []  # an outage is not taken for "WebSockets are blocked here"
    stored = shop.messages()
    # exactly once each, in order: the visitor's in the order typed, and the widget agrees with the server
    assert [text for sender, text in stored if sender == "visitor"] == sent
    assert len(stored) == len(set(stored)) == len(sent) + 5
    assert transcript(page) == stored
    # and a fresh page load shows the very same transcript
    page.reload()
    open_chat(page)
    expect(log(page).locator(".bubble")).to_have_count(len(stored) + 1)  # + the greeting
    assert transcript(page) == stored


# ---- 4: follow-up form when nobody is online -----------------------------------------------------------


def test_offline_followup_form(page: Page, offline_shop: Shop) -> None:
    shop = offline_shop
    page.goto(shop.demo_url)
    page.get_by_role("button", name=re.compile("chat", re.I)).click()
    name = page.get_by_role("textbox", name="Name")
    email = page.get_by_role("textbox", name="Email")
    phone = page.get_by_role("textbox", name="Phone")
    message = page.get_by_role("textbox", name="Message")
    expect(name).to_be_focused()
    expect(page.get_by_text("We're away right now")).to_be_visible()
    expect(page.get_by_text("Away", exact=True)).to_be_visible()
    name.fill("Zoe Visitor")
    message.fill("Please call me back about my order.")
    need_contact = page.get_by_text("Please give an email address or a phone number.")
    expect(need_contact).to_have_count(1)  # the form's standing hint
    page.get_by_role("button", name="Submit").click()
    # neither email nor phone: the form says so, on the email field, and sends nothing
    expect(need_contact).to_have_count(2)  # the hint and now the error
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("Please give an email address or a phone number.")
    expect(email).to_be_focused()
    email.fill("not-an-email")
    page.get_by_role("button", name="Submit").click()
    expect(email).to_have_accessible_description("Please enter a valid email address.")
    assert shop.admin.get("/admin/api/followups").json()["followups"] == []
    email.fill("zoe@example.com")
    phone.fill("+1 555 0100")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible(timeout=LIVE)
    expect(page.get_by_text("We received your message")).to_be_visible()
    followups = shop.admin.get("/admin/api/followups").json()["followups"]
    assert len(followups) == 1, followups
    assert {k: followups[0][k] for k in ("name", "email", "phone", "message")} == {
        "name": "Zoe Visitor",
        "email": "zoe@example.com",
        "phone": "+1 555 0100",
        "message": "Please call me back about my order.",
    }
    assert followups[0]["viewed_at"] is None


# ---- 7, 8: returning visitor, two tabs --------------------------------------------------------------------


def test_returning_visitor_gets_transcript_back(page: Page, shop: Shop) -> None:
    open_chat(page, shop.demo_url)
    vid = visitor_id(page, shop.key)
    type_and_send(page, "first visit")
    all_sent(page)
    shop.reply("welcome!")
    expect(bubbles(page, "welcome!")).to_have_count(1, timeout=LIVE)
    before = transcript(page)
    page.reload()
    assert visitor_id(page, shop.key) == vid
    open_chat(page)
    expect(bubbles(page, "welcome!")).to_have_count(1, timeout=LIVE)
    expect(bubbles(page, "first visit")).to_have_count(1)
    assert transcript(page) == before == [("visitor", "first visit"), ("staff", "welcome!")]
    # the conversation carries on where it was
    type_and_send(page, "I'm back")
    all_sent(page)
    assert shop.messages() == [*before, ("visitor", "I'm back")]
    assert visitor_id(page, shop.key) == vid


def test_two_tabs_both_get_staff_reply(context: BrowserContext, shop: Shop) -> None:
    first = context.new_page()
    open_chat(first, shop.demo_url)
    type_and_send(first, "from the first tab")
    all_sent(first)
    second = context.new_page()
    open_chat(second, shop.demo_url)
    assert visitor_id(second, shop.key) == visitor_id(first, shop.key)
    expect(bubbles(second, "from the first tab")).to_have_count(1, timeout=LIVE)
    shop.reply("to both tabs")
    for tab in (first, second):
        expect(bubbles(tab, "to both tabs")).to_have_count(1, timeout=LIVE)
    type_and_send(second, "from the second tab")
    all_sent(second)
    expect(bubbles(first, "from the second tab")).to_have_count(1, timeout=LIVE)
    expected = [("visitor", "from the first tab"), ("staff", "to both tabs"), ("visitor", "from the second tab")]
    assert transcript(first) == transcript(second) == shop.messages() == expected
