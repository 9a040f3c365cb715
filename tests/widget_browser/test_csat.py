"""The widget's rating prompt against the real server: loaded (handoff-csat.js) only when staff close a
conversation with the survey on, 1-5 buttons with accessible names, an optional comment, the thanks, and
the rating stored once; axe finds nothing serious in it."""

from __future__ import annotations

from playwright.sync_api import Page, Response, expect

from tests.axe import assert_accessible
from tests.conftest import BACKENDS
from tests.widget_browser.helpers import LIVE, Shop, all_sent, open_chat, type_and_send

pytestmark = BACKENDS
CHUNK = "/widget/handoff-csat.js"


def test_rating_prompt_after_staff_close(page: Page, shop: Shop) -> None:
    assert shop.admin.patch("/api/v1/tenant", {"settings": {"csat": True}}).status_code == 200
    chunks: list[Response] = []
    page.on("response", lambda r: chunks.append(r) if r.url.endswith(CHUNK) else None)
    open_chat(page, shop.demo_url)
    type_and_send(page, "Where is my parcel?")
    all_sent(page)
    shop.reply("It left this morning.")
    expect(page.get_by_role("log").get_by_text("It left this morning.")).to_be_visible(timeout=LIVE)
    assert chunks == []  # a chat without a survey never downloads the prompt

    conversation_id = shop.conversation()["id"]
    closed = shop.admin.patch(f"/admin/api/conversations/{conversation_id}", {"status": "closed"})
    assert closed.status_code == 200, closed.text
    prompt = page.get_by_role("region", name="How was our help?")
    expect(prompt).to_be_visible(timeout=LIVE)
    [chunk] = chunks
    assert chunk.status == 200 and "javascript" in chunk.headers["content-type"]
    assert chunk.headers.get("content-encoding") in ("br", "gzip")  # precompressed, like handoff.js
    rates = prompt.get_by_role("group", name="How was our help?").get_by_role("button")
    expect(rates).to_have_count(5)
    for n in range(1, 6):
        expect(rates.nth(n - 1)).to_have_accessible_name(f"Rate {n} out of 5")
    assert_accessible(page, within_shadow_host="handoff-widget", label="rating prompt")

    prompt.get_by_role("button", name="Send rating").click()
    expect(prompt.get_by_role("alert")).to_have_text("Choose a rating from 1 to 5.")
    four = prompt.get_by_role("button", name="Rate 4 out of 5")
    four.click()
    expect(four).to_have_attribute("aria-pressed", "true")
    prompt.get_by_role("textbox", name="Comment (optional)").fill("Quick and friendly")
    prompt.get_by_role("button", name="Send rating").click()
    thanks = prompt.get_by_role("status")
    expect(thanks).to_have_text("Thank you for your feedback!", timeout=LIVE)
    expect(thanks).to_be_focused()
    assert_accessible(page, within_shadow_host="handoff-widget", label="rating sent")

    survey = shop.admin.get(f"/admin/api/conversations/{conversation_id}/csat").json()
    assert (survey["rating"], survey["comment"]) == (4, "Quick and friendly")
    # the chat goes on: the visitor can still write, which starts a new conversation
    expect(page.get_by_role("textbox", name="Message")).to_be_visible()
