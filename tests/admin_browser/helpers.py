"""Helpers for the admin SPA browser tests: building the SPA, signing in, finding things by role and name."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.support import ROOT, Api, LiveServer, Sock, visitor_session, visitor_socket

FRONTEND = ROOT / "admin-frontend"


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


def ensure_spa_built() -> None:
    """`npm run build` when dist is missing or stale (`npm ci` first only when node_modules is missing)."""
    if not spa_is_stale():
        return
    if not (FRONTEND / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)
    subprocess.run(["npm", "run", "build"], cwd=FRONTEND, check=True)


@dataclass
class Shop:
    """A tenant of its own, with its admin's credentials (to sign in through the form) and API client."""

    api: Api
    widget_key: str
    email: str
    password: str
    user_id: int
    name: str


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


def is_staff_message(text: str) -> Any:
    return lambda f: f["type"] == "message" and f["message"]["sender"] == "staff" and f["message"]["text"] == text


def is_conversation(status: str) -> Any:
    return lambda f: f["type"] == "conversation" and f["conversation"]["status"] == status


def open_visitor_chat(page: Page, live: LiveServer, shop: Shop, name: str, text: str) -> tuple[Sock, int]:
    """Sign in, have a visitor called `name` say `text` over their socket, and open that conversation.

    Returns the visitor's socket (the caller closes it) and the conversation id.
    """
    sign_in(page, live, shop.email, shop.password)
    visitor = visitor_socket(live, visitor_session(live, shop.widget_key, name=name))
    socket_says(visitor, text)
    conversation_list(page).get_by_role("link", name=re.compile(name)).click()
    expect(page.get_by_role("log")).to_contain_text(text)
    return visitor, open_conversation_id(page)
