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
