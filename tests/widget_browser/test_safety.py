"""The widget as a guest on someone else's page: what people type is never markup, the host's CSS and the
widget's stay apart, embedding on another origin (with and without WebSockets), failure paths, size budget."""

from __future__ import annotations

import http.server
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.support import ROOT, LiveServer, add_user
from tests.widget_browser.helpers import (
    LIVE,
    PAYLOAD_IMG,
    PAYLOAD_SCRIPT,
    SENT,
    Shop,
    all_sent,
    bubbles,
    log,
    open_chat,
    transcript,
    type_and_send,
)

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
