"""Security headers on the pages a browser renders as ours, and proof that the admin app's policy is enforced:
Chromium refuses a script injected into the page, while the app itself (no inline script) runs. Every browser
test also fails on any CSP violation (tests/conftest.py), so the app's own screens are checked throughout."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.admin_browser.helpers import Shop, nav, sign_in
from tests.support import LiveServer


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_admin_app_headers(live: LiveServer) -> None:
    for path in ("/admin-app/", "/admin-app/inbox", "/admin-app/index.html"):
        answer = httpx.get(f"{live.url}{path}")
        assert answer.status_code == 200
        policy = directives(answer.headers["content-security-policy"])
        assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "strict-transport-security" not in answer.headers  # PUBLIC_BASE_URL is not https here
    api = httpx.get(f"{live.url}/health")
    assert api.headers["x-content-type-options"] == "nosniff" and "content-security-policy" not in api.headers


def test_widget_demo_allows_only_its_own_inline_script_by_nonce(live: LiveServer, shop: Shop) -> None:
    first = httpx.get(f"{live.url}/widget/demo", params={"key": shop.widget_key})
    second = httpx.get(f"{live.url}/widget/demo", params={"key": shop.widget_key})
    nonces = []
    for answer in (first, second):
        script_src = directives(answer.headers["content-security-policy"])["script-src"]
        nonce = next(v for v in script_src if v.startswith("'nonce-"))[len("'nonce-") : -1]
        assert "'unsafe-inline'" not in script_src
        assert re.search(rf'<script nonce="{re.escape(nonce)}">', answer.text)
        nonces.append(nonce)
    assert nonces[0] != nonces[1]  # a fresh nonce per answer


def test_the_admin_apps_policy_blocks_injected_script_and_framing(
    live: LiveServer, shop: Shop, browser: Browser
) -> None:
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    sign_in(page, live, shop.email, shop.password)  # the app runs under its policy
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__injected = 1';"
        " document.head.append(s); }"
    )
    expect(page.get_by_test_id("connection")).to_have_text("Connected")
    assert page.evaluate("() => window.__injected") is None
    assert any("inline script" in v for v in violations), violations

    # framing: a page on another origin cannot show the admin app in an iframe
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as blocked:
        page.set_content(f'<iframe id="f" src="{live.url}/admin-app/"></iframe>')
    assert "has been blocked" in blocked.value.text
    context.close()


def test_an_admin_limits_the_sites_that_may_use_the_widget(live: LiveServer, shop: Shop, page: Page) -> None:
    sign_in(page, live, shop.email, shop.password)
    nav(page).get_by_role("link", name="Settings").click()
    form = page.get_by_role("form", name="Sites allowed to use the widget")
    sites = form.get_by_role("textbox", name="Allowed sites")
    sites.fill("https://Shop.Example.com:443/")
    form.get_by_role("button", name="Save allowed sites").click()
    expect(form.get_by_role("status")).to_have_text("Saved: the widget works on this site only.")
    assert shop.api.get("/api/v1/tenant").json()["settings"]["allowed_origins"] == ["https://shop.example.com"]

    # the demo page is on this server's origin, which is not listed: the widget stands down
    demo = page.context.new_page()
    with demo.expect_console_message(lambda m: "may not use widget" in m.text):
        demo.goto(f"{live.url}/widget/demo?key={shop.widget_key}")
    expect(demo.get_by_role("button", name=re.compile("chat", re.I))).to_have_count(0)

    sites.fill(f"https://shop.example.com\n{live.url}")
    form.get_by_role("button", name="Save allowed sites").click()
    expect(form.get_by_role("status")).to_have_text("Saved: the widget works on these 2 sites only.")
    demo.reload()
    expect(demo.get_by_role("button", name=re.compile("chat", re.I))).to_be_visible()
