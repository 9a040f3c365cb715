"""The admin SPA in headless chromium against the real server, driven by role and accessible name.

One server for the module (each test signs up its own tenant, so tests never see each other's data); the SPA
is the built `admin-frontend/dist`, rebuilt first when missing or older than its sources.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.browser import browser, context  # noqa: F401  (pytest fixtures)
from tests.support import ROOT, Api, LiveServer, Sock, add_user, admin_api, login, visitor_session, visitor_socket

FRONTEND = ROOT / "admin-frontend"
expect.set_options(timeout=10_000)


def spa_is_stale() -> bool:
    """Like ./dev.sh: dist is stale when missing or older than any file outside node_modules and dist."""
    index = FRONTEND / "dist" / "index.html"
    if not index.exists():
        return True
    built = index.stat().st_mtime
    for folder, dirs, files in os.walk(FRONTEND):
        if folder == str(FRONTEND):
            dirs[:] = [d for d in dirs if d not in ("node_modules", "dist")]
        if any(os.stat(os.path.join(folder, f)).st_mtime > built for f in files):
            return True
    return False


@pytest.fixture(scope="module")
def spa_built() -> None:
    """`npm run build` when dist is missing or stale (`npm ci` first only when node_modules is missing)."""
    if not spa_is_stale():
        return
    if not (FRONTEND / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
    subprocess.run(["npm", "run", "build"], cwd=FRONTEND, check=True)


@pytest.fixture(scope="module")
def live(spa_built: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Started after the build, so the server mounts dist at /admin-app/."""
    server = LiveServer(tmp_path_factory.mktemp("admin-browser")).start()
    yield server
    server.stop()


@dataclass
class Shop:
    """A tenant of its own, with its admin's credentials (to sign in through the form) and API client."""

    api: Api
    widget_key: str
    email: str
    password: str
    user_id: int
    name: str


@pytest.fixture
def shop(live: LiveServer) -> Iterator[Shop]:
    platform = admin_api(live)
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    password = "pw-" + uuid.uuid4().hex
    name = f"Shop {uuid.uuid4().hex[:6]}"
    created = platform.post("/api/v1/tenants", {"name": name, "admin_email": email, "admin_password": password})
    assert created.status_code == 201, created.text
    platform.close()
    signed = login(live, email, password)
    api = Api(live, signed["access_token"])
    yield Shop(api, created.json()["widget_key"], email, password, signed["user"]["id"], signed["user"]["name"])
    api.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:  # noqa: F811
    return context.new_page()


def open_app(page: Page, live: LiveServer) -> None:
    page.goto(f"{live.url}/admin-app/")


def sign_in(page: Page, live: LiveServer, email: str, password: str) -> None:
    open_app(page, live)
    page.get_by_role("textbox", name="Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("connection")).to_have_text("Connected")


def nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def conversation_list(page: Page) -> Locator:
    return page.get_by_role("list", name="Conversations")


def visitor_says(live: LiveServer, session: dict[str, Any], text: str) -> dict[str, Any]:
    """A visitor message over `POST /webchat` (the socket path is exercised elsewhere in this module)."""
    response = httpx.post(
        f"{live.url}/webchat",
        json={"text": text, "client_id": str(uuid.uuid4())},
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def socket_says(sock: Sock, text: str) -> dict[str, Any]:
    client_id = str(uuid.uuid4())
    sock.send({"type": "message", "text": text, "client_id": client_id})
    return sock.recv_until(lambda f: f["type"] == "ack" and f["client_id"] == client_id)


def server_conversation(shop: Shop, conversation_id: int) -> dict[str, Any]:
    response = shop.api.get(f"/admin/api/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def open_conversation_id(page: Page) -> int:
    match = re.search(r"#/inbox/(\d+)", page.url)
    assert match, page.url
    return int(match.group(1))


def eventually(check: Any, timeout: float = 10) -> None:
    """Poll a server-side condition (the UI side is awaited with Playwright's expect)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def is_staff_message(text: str) -> Any:
    return lambda f: f["type"] == "message" and f["message"]["sender"] == "staff" and f["message"]["text"] == text


def is_conversation(status: str) -> Any:
    return lambda f: f["type"] == "conversation" and f["conversation"]["status"] == status


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
    sign_in(page, live, shop.email, shop.password)
    session = visitor_session(live, shop.widget_key, name="Carl Closer")
    visitor = visitor_socket(live, session)
    try:
        socket_says(visitor, "Please close this when done")
        conversation_list(page).get_by_role("link", name=re.compile("Carl Closer")).click()
        expect(page.get_by_role("log")).to_contain_text("Please close this when done")
        conversation_id = open_conversation_id(page)
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


# ---- 6. analytics ------------------------------------------------------------------------------------------


def test_analytics_tiles_match_seeded_data_and_api(live: LiveServer, shop: Shop, page: Page) -> None:
    # By construction: 3 web chats, 2 answered by staff then closed, 1 closed unanswered (missed), 1 follow-up.
    conversation_ids = []
    for i in range(3):
        session = visitor_session(live, shop.widget_key, name=f"Analytics {i}")
        conversation_ids.append(visitor_says(live, session, f"question {i}")["conversation_id"])
    for cid in conversation_ids[:2]:
        assert shop.api.post("/admin/api/send", {"conversation_id": cid, "text": "answer"}).status_code == 200
    for cid in conversation_ids:
        assert shop.api.patch(f"/admin/api/conversations/{cid}", {"status": "closed"}).status_code == 200
    followup = httpx.post(
        f"{live.url}/followup",
        json={"widget_key": shop.widget_key, "name": "Fay", "email": "f@example.com", "message": "?"},
    )
    assert followup.status_code == 201, followup.text
    expected = {"conversations": 3, "messages": 5, "closed": 3, "missed": 1, "escalated": 0, "followups": 1}

    sign_in(page, live, shop.email, shop.password)
    nav(page).get_by_role("link", name="Analytics").click()
    expect(page.get_by_test_id("kpi-conversations")).to_have_attribute("data-value", "3")

    # The same range and zone the page asked for.
    tz = page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone")
    frm = page.get_by_label("From").input_value()
    to = page.get_by_label("To").input_value()
    summary = shop.api.get("/api/v1/analytics/summary", params={"from": frm, "to": to, "tz": tz})
    assert summary.status_code == 200, summary.text
    data = summary.json()
    assert {k: data["totals"][k] for k in expected} == expected
    assert data["by_channel"]["webchat"] == 3
    assert data["first_response_seconds"]["count"] == 2 and data["resolution_seconds"]["count"] == 3
    assert [(a["user_id"], a["conversations"], a["messages"]) for a in data["agents"]] == [(shop.user_id, 2, 2)]

    for name, value in expected.items():
        tile = page.get_by_test_id(f"kpi-{name}")
        expect(tile).to_have_attribute("data-value", str(value))
        expect(tile).to_have_text(str(value))
    for name, key in (("first-response-median", "first_response_seconds"), ("resolution-median", "resolution_seconds")):
        raw = page.get_by_test_id(f"kpi-{name}").get_attribute("data-value")
        assert raw is not None and float(raw) == pytest.approx(data[key]["median"])
    expect(page.get_by_test_id("channel-webchat")).to_have_text("3")
    for chart in ("Conversations by day and channel", "Conversations by hour of day"):
        expect(page.get_by_role("figure", name=chart).locator("svg.recharts-surface").first).to_be_visible()
    expect(page.get_by_role("table", name="Agents")).to_contain_text(shop.name)


# ---- 8. role guard -------------------------------------------------------------------------------------------


def test_staff_do_not_see_admin_pages_and_admin_sees_settings(
    live: LiveServer,
    shop: Shop,
    context: BrowserContext,  # noqa: F811
) -> None:
    _, staff = add_user(shop.api, "staff", name="Stu Staff")
    session = visitor_session(live, shop.widget_key, name="Role Visitor")
    visitor_says(live, session, "hello team")

    staff_page = context.new_page()
    sign_in(staff_page, live, staff["email"], staff["password"])
    menu = nav(staff_page)
    for label in ("Inbox", "Follow-ups", "History", "Analytics"):
        expect(menu.get_by_role("link", name=re.compile(label))).to_be_visible()
    expect(menu.get_by_role("link", name="Team")).to_have_count(0)
    expect(menu.get_by_role("link", name="Settings")).to_have_count(0)
    staff_page.goto(f"{live.url}/admin-app/#/settings")
    expect(staff_page.get_by_role("heading", name="Not available")).to_be_visible()
    expect(staff_page.get_by_test_id("embed-snippet")).to_have_count(0)
    # Staff can still list teammates to assign (GET /api/v1/team), though /api/v1/users is admin-only.
    staff_page.goto(f"{live.url}/admin-app/#/inbox")
    conversation_list(staff_page).get_by_role("link", name=re.compile("Role Visitor")).click()
    assignee = staff_page.get_by_role("combobox", name="Assignee")
    expect(assignee.get_by_role("option", name=re.compile(re.escape(shop.name)))).to_have_count(1)
    expect(assignee.get_by_role("option", name="Me (Stu Staff)")).to_have_count(1)
    staff_page.close()

    context.clear_cookies()
    admin_page = context.new_page()
    admin_page.goto(f"{live.url}/admin-app/")
    admin_page.evaluate("() => localStorage.clear()")
    sign_in(admin_page, live, shop.email, shop.password)
    menu = nav(admin_page)
    expect(menu.get_by_role("link", name="Team")).to_be_visible()
    menu.get_by_role("link", name="Settings").click()
    snippet = admin_page.get_by_test_id("embed-snippet")
    expect(snippet).to_have_text(
        f'<script src="{live.url}/widget/handoff.js" data-key="{shop.widget_key}" async></script>'
    )
    sms = admin_page.get_by_role("form", name="Twilio SMS")
    expect(sms).to_contain_text(f"{live.url}/webhooks/twilio/sms")
    expect(sms).to_contain_text(f"{live.url}/webhooks/twilio/status")
    expect(admin_page.get_by_role("form", name="Facebook Messenger")).to_contain_text(f"{live.url}/webhooks/messenger")


# ---- 9. token refresh keeps the work -------------------------------------------------------------------------


def test_expired_access_token_is_refreshed_without_losing_the_reply(live: LiveServer, shop: Shop, page: Page) -> None:
    sign_in(page, live, shop.email, shop.password)
    session = visitor_session(live, shop.widget_key, name="Rita Refresh")
    visitor = visitor_socket(live, session)
    try:
        socket_says(visitor, "are you there?")
        conversation_list(page).get_by_role("link", name=re.compile("Rita Refresh")).click()
        expect(page.get_by_role("log")).to_contain_text("are you there?")
        conversation_id = open_conversation_id(page)
        refresh_before = page.evaluate("() => localStorage.getItem('handoff.refresh_token')")

        page.evaluate("() => localStorage.setItem('handoff.access_token', 'garbage.not-a-jwt')")
        reply = page.get_by_role("textbox", name="Reply")
        reply.fill("Yes, here after a refresh")
        page.get_by_role("button", name="Send").click()

        visitor.recv_until(is_staff_message("Yes, here after a refresh"))
        last = page.get_by_role("log").get_by_test_id("message").last
        expect(last).to_contain_text("Yes, here after a refresh")
        expect(last.get_by_test_id("delivery-status")).to_have_text(re.compile("Sent|Delivered|Read"))
        expect(page.get_by_role("button", name="Sign in")).to_have_count(0)
        tokens = page.evaluate(
            "() => [localStorage.getItem('handoff.access_token'), localStorage.getItem('handoff.refresh_token')]"
        )
        assert tokens[0] != "garbage.not-a-jwt" and tokens[1] != refresh_before
        texts = [
            m["text"] for m in shop.api.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"]
        ]
        assert texts.count("Yes, here after a refresh") == 1  # the retry did not store it twice

        # A reload with a stale access token: every first request gets a 401 at once, and they share one
        # refresh (the refresh token rotates, so a second refresh with the old one would sign us out).
        reply.fill("typed before the reload")
        page.evaluate("() => localStorage.setItem('handoff.access_token', 'garbage.again')")
        page.reload()
        expect(page.get_by_role("textbox", name="Reply")).to_have_value("typed before the reload")
        expect(page.get_by_role("log")).to_contain_text("Yes, here after a refresh")
        expect(conversation_list(page).get_by_role("link", name=re.compile("Rita Refresh"))).to_be_visible()
        expect(page.get_by_test_id("connection")).to_have_text("Connected")
        page.get_by_role("button", name="Send").click()
        visitor.recv_until(is_staff_message("typed before the reload"))
        expect(page.get_by_role("button", name="Sign in")).to_have_count(0)

        # When the refresh token is dead too, the session ends: the draft and the route survive signing in again.
        reply.fill("a draft worth keeping")
        page.evaluate(
            "() => { localStorage.setItem('handoff.access_token', 'x'); localStorage.setItem('handoff.refresh_token', 'y'); }"
        )
        page.get_by_role("button", name="Close", exact=True).click()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        page.get_by_role("textbox", name="Email").fill(shop.email)
        page.get_by_role("textbox", name="Password").fill(shop.password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("textbox", name="Reply")).to_have_value("a draft worth keeping")
        assert open_conversation_id(page) == conversation_id
    finally:
        visitor.close()


# ---- 7. live reconnection (restarts the module's server: keep it last) -----------------------------------------

WATCH_CONNECTION = """() => {
  window.__connLog = [];
  const el = document.querySelector('[data-testid=connection]');
  new MutationObserver(() => window.__connLog.push(el.textContent)).observe(el, {
    childList: true, characterData: true, subtree: true,
  });
}"""


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
    expect(indicator).to_have_text("Connected", timeout=20_000)
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
    expect(indicator).to_have_text("Connected", timeout=20_000)
    assert page.evaluate("() => localStorage.getItem('handoff.access_token')") != "garbage.not-a-jwt"
    visitor_says(live, second, "after the refresh")
    expect(row).to_contain_text("after the refresh")
    assert page.evaluate("() => window.__connLog") == ["Reconnecting…", "Connected"]
    assert page.evaluate("() => window.__sameDocument") is True  # no reload happened
