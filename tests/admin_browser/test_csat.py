"""Customer satisfaction in the admin app against the real server: the Settings switch, the rating on the
History view and the figures on Analytics, each screen checked by axe."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from tests.admin_browser.helpers import Shop, nav, sign_in, visitor_says
from tests.axe import assert_accessible
from tests.support import LiveServer, visitor_session


def test_survey_setting_rating_and_analytics(live: LiveServer, shop: Shop, page: Page) -> None:
    sign_in(page, live, shop.email, shop.password)
    nav(page).get_by_role("link", name="Settings").click()
    survey = page.get_by_role("form", name="Customer satisfaction survey")
    survey.get_by_role("checkbox", name=re.compile("Ask customers for a rating")).check()
    survey.get_by_role("button", name="Save survey setting").click()
    expect(survey.get_by_role("status")).to_contain_text("customers are asked for a rating")
    assert shop.api.get("/api/v1/tenant").json()["settings"]["csat"] is True
    assert_accessible(page, label="settings with the survey switch")

    session = visitor_session(live, shop.widget_key, name="Rita Rating")
    conversation_id = visitor_says(live, session, "Can I change my order?")["conversation_id"]
    assert shop.api.post("/admin/api/send", {"conversation_id": conversation_id, "text": "Done!"}).status_code == 200
    assert shop.api.patch(f"/admin/api/conversations/{conversation_id}", {"status": "closed"}).status_code == 200
    rated = httpx.post(
        f"{live.url}/api/v1/widget/csat",
        json={"conversation_id": conversation_id, "rating": 5, "comment": "Brilliant"},
        headers={"Authorization": f"Bearer {session['visitor_token']}"},
    )
    assert rated.status_code == 201, rated.text

    nav(page).get_by_role("link", name="History").click()
    page.get_by_role("list", name="Results").get_by_role("link", name=re.compile("Rita Rating")).click()
    expect(page.get_by_test_id("csat-rating")).to_have_text("Customer rating: 5 / 5Brilliant")
    assert_accessible(page, label="history with a rating")

    nav(page).get_by_role("link", name="Analytics").click()
    expect(page.get_by_test_id("kpi-csat-average")).to_have_text("5.00 / 5")
    expect(page.get_by_test_id("kpi-csat-responses")).to_have_text("1")
    agents = page.get_by_role("table", name="Satisfaction by agent")
    expect(agents.get_by_role("row", name=re.compile(re.escape(shop.name)))).to_contain_text("5.00 / 5")
    assert_accessible(page, label="analytics with satisfaction figures")
