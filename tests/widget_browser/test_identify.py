"""`Handoff.identify({user_id, user_hash, name, email})` in a real browser: a valid pair makes the visitor the
user's verified contact, whose messages land there; a wrong one leaves the visitor anonymous, linked to nobody."""

from __future__ import annotations

import hashlib
import hmac

from playwright.sync_api import Page

from tests import log_audit
from tests.support import query
from tests.widget_browser.helpers import LIVE, Shop, all_sent, open_chat, type_and_send, visitor_id

STORED_ID = "(k) => (JSON.parse(localStorage.getItem('handoff:' + k)) || {}).id || null"


def pair(shop: Shop, user_id: str, secret: str | None = None) -> dict[str, str]:
    if secret is None:
        secret = shop.admin.get("/api/v1/tenant/identity-secret").json()["identity_secret"]
        log_audit.remember(secret, "an identity secret")
    user_hash = hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()
    log_audit.remember(user_hash, "a user_hash")
    return {"user_id": user_id, "user_hash": user_hash}


def wait_for_visitor(page: Page, shop: Shop) -> str:
    page.wait_for_function(f"() => ({STORED_ID})({shop.key!r})", timeout=LIVE)
    return visitor_id(page, shop.key)


def test_identify_with_a_valid_pair_makes_a_verified_contact(page: Page, shop: Shop) -> None:
    page.goto(shop.demo_url)
    anonymous = wait_for_visitor(page, shop)
    user_id = "cust-" + anonymous[:8]
    page.evaluate("(p) => Handoff.identify({...p, name: 'Ada Lovelace'})", pair(shop, user_id))
    verified_id = "u-" + hashlib.sha256(user_id.encode()).hexdigest()[:40]
    page.wait_for_function(f"() => ({STORED_ID})({shop.key!r}) === {verified_id!r}", timeout=LIVE)
    open_chat(page)
    type_and_send(page, "hello, verified")
    all_sent(page)
    contact = shop.conversation()["contact"]
    assert contact["external_id"] == verified_id and contact["name"] == "Ada Lovelace"
    person = shop.admin.get(f"/admin/api/contacts/{contact['id']}").json()
    assert person["verified"] is True and person["verified_user_id"] == user_id


def test_identify_with_a_wrong_hash_stays_anonymous(page: Page, shop: Shop) -> None:
    page.goto(shop.demo_url)
    anonymous = wait_for_visitor(page, shop)
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    # Both answers awaited from before the call: the 401, then the anonymous session the widget starts again.
    session = "/api/v1/widget/session"
    with (
        page.expect_response(lambda r: r.url.endswith(session) and r.status == 200),
        page.expect_response(lambda r: r.url.endswith(session) and r.status == 401),
    ):
        page.evaluate("(p) => Handoff.identify(p)", pair(shop, "victim", secret="not-the-secret"))
    assert visitor_id(page, shop.key) == anonymous
    assert any("user_hash" in w for w in warnings)
    tenant_id = shop.admin.get("/api/v1/tenant").json()["id"]
    assert (
        query(shop.server, "SELECT id FROM contacts WHERE tenant_id = ? AND verified_user_id IS NOT NULL", tenant_id)
        == []
    )
