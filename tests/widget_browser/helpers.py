"""Helpers for the widget browser tests: a tenant with optional staff presence, and ways to drive the widget
on its demo host page by role and accessible name (Playwright pierces the open Shadow DOM)."""

from __future__ import annotations

import contextlib
import re
import uuid
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.support import Api, LiveServer, Sock, make_tenant, staff_socket

LIVE = 10_000  # ms: a live event or an HTTP round trip
RECONNECT = 30_000  # ms: the widget's reconnect backoff after an outage (random, capped at 15 s)
SENT = re.compile(r"^· Sent$")  # a visitor message's status once the server has acknowledged it

PAYLOAD_IMG = '<img src=x onerror="window.__pwned=1">'
PAYLOAD_SCRIPT = "<script>window.__pwned=2</script>"

# the widget's transcript, read from inside its shadow root (the first bubble is the greeting)
TRANSCRIPT_JS = """() => [...document.querySelector('handoff-widget').shadowRoot
    .querySelectorAll('[role=log] .msg')].slice(1).map((m) => ({
      sender: ['visitor', 'staff', 'system'].find((c) => m.classList.contains(c)),
      text: m.querySelector('.bubble')?.textContent ?? ''}))"""


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


# ---- colours and focus, read from inside the shadow root -------------------------------------------------------

BRAND_COLOURS = ["#ffff00", "#ff0000", "#0b5cff", "#777777", "#000000", "#ffffff"]


def set_brand_colour(shop: Shop, colour: str) -> None:
    """The tenant's widget colour, as the admin app's Settings page saves it (read by the widget at boot)."""
    response = shop.admin.patch("/api/v1/tenant", {"settings": {"color": colour}})
    assert response.status_code == 200, response.text


def rgb(colour: str) -> tuple[int, int, int]:
    """`#rrggbb` or a computed `rgb(r, g, b)` / `rgba(r, g, b, 1)` as (r, g, b)."""
    if colour.startswith("#"):
        return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
    r, g, b = (int(float(x)) for x in re.findall(r"[\d.]+", colour)[:3])
    return r, g, b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two opaque colours."""

    def luminance(colour: str) -> float:
        def channel(c: int) -> float:
            s = c / 255
            return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(c) for c in rgb(colour))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# the computed text and background colours of every shown part drawn on the brand colour, and the ring colour
BRAND_PARTS_JS = """() => {
  const r = document.querySelector('handoff-widget').shadowRoot, parts = [];
  for (const sel of ['.launcher', '.head', '.visitor .bubble', '.send', '.primary']) {
    for (const el of r.querySelectorAll(sel)) {
      if (!el.getClientRects().length) continue;
      const s = getComputedStyle(el);
      parts.push({ part: sel, color: s.color, background: s.backgroundColor });
    }
  }
  return { parts, ring: getComputedStyle(r.querySelector('.hf')).getPropertyValue('--a').trim() };
}"""


def brand_parts(page: Page) -> dict[str, Any]:
    """Every shown part drawn on the brand colour, and the ring colour; fails when one does not reach 4.5:1.

    axe checks text only, so this also covers the icons on the launcher and the send button."""
    found = page.evaluate(BRAND_PARTS_JS)
    for part in found["parts"]:
        ratio = contrast(part["color"], part["background"])
        assert ratio >= 4.5, f"{part['part']}: {part['color']} on {part['background']} is {ratio:.2f}:1"
    ratio = contrast(found["ring"], "#ffffff")
    assert ratio >= 4.5, f"focus ring {found['ring']} on white is {ratio:.2f}:1"
    return dict(found)


# the focused element, inside the widget's shadow root when the focus is there, and what its focus ring is drawn on
FOCUSED_JS = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el), opaque = (c) => c !== 'transparent' && !/^rgba\\(.*, 0\\)$/.test(c);
  let backdrop = null;
  for (let p = el.parentElement; p && !backdrop; p = p.parentElement) {
    const bg = getComputedStyle(p).backgroundColor;
    if (opaque(bg)) backdrop = bg;
  }
  return {
    html: el.outerHTML.slice(0, 120),
    inWidget: el.getRootNode() !== document,
    focusVisible: el.matches(':focus-visible'),
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
    outlineColor: s.outlineColor,
    shadow: s.boxShadow,
    backdrop,
  };
}"""


def focus_ring(page: Page) -> dict[str, Any]:
    """The focused control in the widget, which must show a focus ring: an outline of at least 3:1 against what it
    is drawn on (the nearest opaque ancestor; the launcher has none in its shadow root, so there its own white
    halo), or a box shadow."""
    focused = page.evaluate(FOCUSED_JS)
    assert focused is not None, "nothing has the focus"
    assert focused["inWidget"], f"the focus left the widget: {focused['html']}"
    assert focused["focusVisible"], f"focused without :focus-visible: {focused['html']}"
    assert focused["outline"] or focused["shadow"] != "none", f"no visible focus ring on {focused['html']}"
    if focused["outline"]:
        backdrop = focused["backdrop"]
        if backdrop is None:
            assert "rgb(255, 255, 255)" in focused["shadow"], focused
            backdrop = "rgb(255, 255, 255)"
        ratio = contrast(focused["outlineColor"], backdrop)
        assert ratio >= 3, f"focus ring {focused['outlineColor']} on {backdrop} is {ratio:.2f}:1: {focused['html']}"
    return dict(focused)
