"""The embeddable widget in headless chromium against the real server (issue 5's "Done when").

Every test drives the widget on its demo host page by role and accessible name (Playwright pierces the
open Shadow DOM) and checks real outcomes: what the widget shows and what the server stored.
One server per module; each test uses its own tenant so tests never see each other's conversations.
"""

from __future__ import annotations

import contextlib
import http.server
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Request, expect

import tests.browser
from tests.support import ROOT, Api, LiveServer, Sock, add_user, make_tenant, staff_socket

LIVE = 10_000  # ms: a live event or an HTTP round trip
RECONNECT = 30_000  # ms: the widget's reconnect backoff after an outage (random, capped at 15 s)
SENT = re.compile(r"^· Sent$")  # a visitor message's status once the server has acknowledged it

browser, context = tests.browser.browser, tests.browser.context  # the shared chromium and a context per test

PAYLOAD_IMG = '<img src=x onerror="window.__pwned=1">'
PAYLOAD_SCRIPT = "<script>window.__pwned=2</script>"

# the widget's transcript, read from inside its shadow root (the first bubble is the greeting)
TRANSCRIPT_JS = """() => [...document.querySelector('handoff-widget').shadowRoot
    .querySelectorAll('[role=log] .msg')].slice(1).map((m) => ({
      sender: ['visitor', 'staff', 'system'].find((c) => m.classList.contains(c)),
      text: m.querySelector('.bubble').textContent}))"""


class Shop:
    """A tenant of its own, its admin API, and optionally a staff socket (a connected staff member)."""

    def __init__(self, server: LiveServer, name: str = "") -> None:
        self.server = server
        self.admin, self.key = make_tenant(server, name)
        self.staff: Sock | None = None

    @property
    def demo_url(self) -> str:
        return f"{self.server.url}/widget/demo?key={self.key}"

    def go_online(self) -> Shop:
        self.staff = staff_socket(self.server, self.admin.token or "")
        return self

    def go_offline(self) -> None:
        if self.staff is not None:
            with contextlib.suppress(Exception):
                self.staff.close()
        self.staff = None

    def conversation(self) -> dict[str, Any]:
        convos = self.admin.get("/admin/api/convos", params={"status": "all"}).json()["conversations"]
        assert len(convos) == 1, convos
        return dict(convos[0])

    def messages(self) -> list[tuple[str, str]]:
        """The stored transcript, oldest first, as (sender, text)."""
        conversation_id = self.conversation()["id"]
        response = self.admin.get(f"/admin/api/conversations/{conversation_id}/messages")
        assert response.status_code == 200, response.text
        return [(m["sender"], m["text"]) for m in response.json()["messages"]]

    def reply(self, text: str, api: Api | None = None) -> dict[str, Any]:
        body = {"conversation_id": self.conversation()["id"], "text": text, "client_id": uuid.uuid4().hex}
        response = (api or self.admin).post("/admin/api/send", body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def close(self) -> None:
        self.go_offline()
        self.admin.close()


@pytest.fixture
def shop(server: LiveServer) -> Iterator[Shop]:
    """A tenant whose staff are online (a staff socket is connected), so the widget opens on the chat."""
    shop = Shop(server).go_online()
    yield shop
    shop.close()


@pytest.fixture
def offline_shop(server: LiveServer) -> Iterator[Shop]:
    """A tenant with nobody online: the widget opens on the follow-up form."""
    shop = Shop(server)
    yield shop
    shop.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


# ---- helpers ----------------------------------------------------------------------------------------


def log(page: Page) -> Locator:
    return page.get_by_role("log")


def open_chat(page: Page, url: str | None = None) -> None:
    """Load the demo host page (when given) and open the widget through its launcher."""
    if url:
        page.goto(url)
    page.get_by_role("button", name=re.compile("chat", re.I)).click()
    expect(page.get_by_role("textbox", name="Message")).to_be_visible()


def type_and_send(page: Page, text: str) -> None:
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("button", name="Send").click()


def all_sent(page: Page, timeout: int = LIVE) -> None:
    """Every visitor message shown is acknowledged by the server (none sending or failed)."""
    expect(log(page).get_by_text("Sending…")).to_have_count(0, timeout=timeout)
    expect(log(page).get_by_text("Not sent")).to_have_count(0, timeout=1)


def transcript(page: Page) -> list[tuple[str, str]]:
    return [(m["sender"], m["text"]) for m in page.evaluate(TRANSCRIPT_JS)]


def visitor_id(page: Page, key: str) -> str:
    return str(page.evaluate("(k) => JSON.parse(localStorage.getItem('handoff:' + k)).id", key))


def bubbles(page: Page, text: str) -> Locator:
    """Transcript bubbles whose whole text is `text` (the greeting and meta lines excluded)."""
    return log(page).locator(".bubble").filter(has_text=re.compile("^" + re.escape(text) + "$"))


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
    expect(page.get_by_role("button", name=re.compile(r"^Open chat \(1 unread\)$"))).to_be_visible(timeout=LIVE)
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


# ---- 5: nothing anyone types is ever markup ------------------------------------------------------------


def test_markup_in_messages_is_literal_text(page: Page, server: LiveServer) -> None:
    hostile_name = f'Shop <img src=x onerror="window.__pwned=3"> {uuid.uuid4().hex[:6]}'
    shop = Shop(server, name=hostile_name).go_online()
    try:
        agent, _ = add_user(shop.admin, name='Agent <img src=x onerror="window.__pwned=4">')
        open_chat(page, shop.demo_url)
        visitor_text = f"hi {PAYLOAD_IMG} and {PAYLOAD_SCRIPT}"
        staff_text = f"{PAYLOAD_SCRIPT} reply {PAYLOAD_IMG}"
        link_text = 'see https://example.com/?q=<img src=x onerror="window.__pwned=5">'
        type_and_send(page, visitor_text)
        type_and_send(page, link_text)
        all_sent(page)
        shop.reply(staff_text, api=agent)
        expect(bubbles(page, staff_text)).to_have_count(1, timeout=LIVE)
        expect(bubbles(page, visitor_text)).to_have_count(1)
        expect(bubbles(page, link_text)).to_have_count(1)
        expect(log(page).get_by_text('Agent <img src=x onerror="window.__pwned=4">')).to_be_visible()
        expect(page.get_by_role("heading", name=hostile_name)).to_have_count(2)  # the page's h1 and the widget's
        # only an http(s) URL becomes a link, and it stops at the markup
        link = log(page).get_by_role("link", name="https://example.com/?q=")
        expect(link).to_have_attribute("href", "https://example.com/?q=")
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        counts = page.evaluate(
            """() => { const r = document.querySelector('handoff-widget').shadowRoot;
                 return {shadowImg: r.querySelectorAll('img').length, shadowScript: r.querySelectorAll('script').length,
                         pageImg: document.querySelectorAll('img').length, pwned: typeof window.__pwned}; }"""
        )
        assert counts == {"shadowImg": 0, "shadowScript": 0, "pageImg": 0, "pwned": "undefined"}
        assert page.title().startswith(hostile_name)
        assert shop.messages() == [("visitor", visitor_text), ("visitor", link_text), ("staff", staff_text)]
        # and again after a reload, when the transcript is rebuilt from the server's copy
        page.reload()
        open_chat(page)
        expect(bubbles(page, staff_text)).to_have_count(1, timeout=LIVE)
        expect(bubbles(page, visitor_text)).to_have_count(1)
        assert (
            page.evaluate(
                "() => document.querySelector('handoff-widget').shadowRoot.querySelectorAll('img').length"
                " + document.querySelectorAll('img').length"
            )
            == 0
        )
        assert page.evaluate("typeof window.__pwned") == "undefined"
    finally:
        shop.close()


# ---- 6: style isolation, both ways -----------------------------------------------------------------------

HOST_STYLES_JS = """() => {
  document.getElementById('event-log').textContent = 'fixed';  // the demo page logs widget events here
  const pick = ['h1', 'main.demo p', '#snippet', '#copy-snippet', '.sample p', '.sample button', '.sample textarea',
                'body', 'main.demo'];
  const out = {};
  for (const sel of pick) {
    const el = document.querySelector(sel), cs = getComputedStyle(el), st = {};
    for (let i = 0; i < cs.length; i++) st[cs[i]] = cs.getPropertyValue(cs[i]);
    out[sel] = {style: st, rect: el.getBoundingClientRect().toJSON()};
  }
  out.sheets = document.styleSheets.length;
  out.headStyles = document.head.querySelectorAll('style, link[rel=stylesheet]').length;
  return out;
}"""

WIDGET_STYLES_JS = """() => {
  const r = document.querySelector('handoff-widget').shadowRoot, cs = (sel) => getComputedStyle(r.querySelector(sel));
  return {
    launcherDisplay: cs('.launcher').display, sendDisplay: cs('.send').display,
    font: cs('.composer textarea').fontFamily, bodyFont: cs('.bubble').fontFamily, titleFont: cs('h2').fontFamily,
    titleColor: cs('h2').color, textColor: cs('.bubble').color, letterSpacing: cs('.bubble').letterSpacing,
    inputBg: cs('.composer textarea').backgroundColor, composerBg: cs('.composer').backgroundColor,
    lineHeight: cs('.bubble').lineHeight, fontSize: cs('.bubble').fontSize,
    svgWidth: r.querySelector('.send svg').getBoundingClientRect().width,
    hidden: [...r.querySelectorAll('[hidden]')].map((e) => getComputedStyle(e).display),
  };
}"""


def test_host_css_and_widget_css_stay_apart(context: BrowserContext, shop: Shop) -> None:
    # the host page as it is without the widget...
    bare = context.new_page()
    bare.route(re.compile(r"/widget/handoff\.js"), lambda route: route.abort())
    bare.goto(shop.demo_url)
    before = bare.evaluate(HOST_STYLES_JS)
    assert bare.evaluate("document.querySelector('handoff-widget')") is None
    bare.close()
    # ...and with it loaded and open
    page = context.new_page()
    open_chat(page, shop.demo_url)
    type_and_send(page, "styled?")
    all_sent(page)
    # the hostile stylesheet is really there: it hides the page's own unprotected button
    expect(page.get_by_role("button", name="Hidden by the hostile CSS")).to_be_hidden()
    expect(page.get_by_role("button", name="Close chat")).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    expect(page.get_by_role("button", name="Submit")).to_be_hidden()  # [hidden] stays hidden in the widget
    w = page.evaluate(WIDGET_STYLES_JS)
    assert w["launcherDisplay"] != "none" and w["sendDisplay"] != "none", w
    for key in ("font", "bodyFont", "titleFont"):
        assert "comic" not in w[key].lower() and "cursive" not in w[key].lower(), w
    assert w["titleColor"] != "rgb(255, 0, 0)" and w["textColor"] != "rgb(255, 0, 0)", w
    assert w["inputBg"] != "rgb(0, 0, 0)" and w["composerBg"] == "rgb(255, 255, 255)", w
    assert w["letterSpacing"] == "normal" and w["lineHeight"] != "42px", w  # not the host's 3 x 14px
    assert w["fontSize"] == "14px" and w["svgWidth"] < 40, w
    assert w["hidden"] and set(w["hidden"]) == {"none"}, w  # the host's `[hidden] {display: block}` loses
    # the widget leaks nothing into the page: every computed style and box is as before
    after = page.evaluate(HOST_STYLES_JS)
    assert after["sheets"] == before["sheets"] and after["headStyles"] == before["headStyles"]
    for selector in before:
        if selector in ("sheets", "headStyles"):
            continue
        changed = {
            prop: (value, after[selector]["style"].get(prop))
            for prop, value in before[selector]["style"].items()
            if after[selector]["style"].get(prop) != value
        }
        assert not changed, f"{selector} changed: {changed}"
        assert after[selector]["rect"] == before[selector]["rect"], selector
    expect(page.get_by_role("button", name="Copy")).to_be_visible()


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


# ---- beyond the list: real embedding and the failure paths the widget must survive --------------------------


@pytest.fixture
def third_party_site(shop: Shop) -> Iterator[str]:
    """A plain host page on another origin (its own loopback port) with only the embed snippet on it."""
    html = (
        "<!doctype html><html lang=en><head><title>Some shop</title></head><body><h1>Some shop</h1>"
        f'<script src="{shop.server.url}/widget/handoff.js" data-key="{shop.key}" async></script></body></html>'
    ).encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: Any) -> None:
            pass

    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{site.server_address[1]}/"
    site.shutdown()
    site.server_close()


def test_embedded_on_another_origin_with_and_without_websockets(
    context: BrowserContext, shop: Shop, third_party_site: str
) -> None:
    page = context.new_page()
    open_chat(page, third_party_site)  # every call is cross-origin: CORS must let the widget through
    type_and_send(page, "hello from another site")
    all_sent(page)
    # a second tab where WebSocket is unavailable (blocked by a proxy or CSP): HTTP send and polling instead
    polling = context.new_page()
    polling.add_init_script("delete window.WebSocket")
    open_chat(polling, third_party_site)
    expect(bubbles(polling, "hello from another site")).to_have_count(1, timeout=LIVE)
    type_and_send(polling, "sent over plain HTTP")
    all_sent(polling)
    shop.reply("polled reply")
    expect(bubbles(polling, "polled reply")).to_have_count(1, timeout=LIVE)  # the widget polls every 5 s
    expect(bubbles(page, "sent over plain HTTP")).to_have_count(1, timeout=LIVE)
    assert shop.messages() == [
        ("visitor", "hello from another site"),
        ("visitor", "sent over plain HTTP"),
        ("staff", "polled reply"),
    ]
    assert transcript(polling) == shop.messages()


def test_identity_the_server_refuses_does_not_stall_the_widget(page: Page, shop: Shop) -> None:
    # a host page passes an email the widget's own check accepts but the server refuses (a reserved domain)
    page.add_init_script("window.HandoffSettings = {name: 'Pat Q', email: 'pat@shop.test'}")
    open_chat(page, shop.demo_url)
    type_and_send(page, "can you hear me?")
    all_sent(page)
    assert shop.messages() == [("visitor", "can you hear me?")]
    assert shop.conversation()["contact"]["name"] == "Pat Q"  # only the refused email was dropped


def test_too_long_messages_fail_visibly_and_do_not_block_the_rest(page: Page, shop: Shop) -> None:
    open_chat(page, shop.demo_url)
    type_and_send(page, "x" * 70_000)  # over the socket's 64 KiB frame limit
    type_and_send(page, "y" * 5_000)  # over the server's 4,000-character message limit
    expect(log(page).get_by_text("Not sent")).to_have_count(2, timeout=LIVE)
    type_and_send(page, "a normal message")
    expect(bubbles(page, "a normal message")).to_have_count(1)
    expect(log(page).get_by_text("Sending…")).to_have_count(0, timeout=LIVE)
    expect(log(page).get_by_text(SENT)).to_have_count(1)
    expect(page.get_by_text("Reconnecting…")).to_be_hidden()
    assert shop.messages() == [("visitor", "a normal message")]


# ---- 9: size budget ---------------------------------------------------------------------------------------


def test_widget_within_gzip_budget() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "widget" / "size_check.py")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    zipped = int(re.search(r"(\d+) bytes gzipped", result.stdout).group(1))  # type: ignore[union-attr]
    assert zipped <= 15_000, result.stdout
