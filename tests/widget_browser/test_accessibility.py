"""The widget through axe-core (tests/axe.py) inside its open shadow root: closed, open with a message, and the
follow-up form, on a desktop and a phone-sized viewport.

The checks run within the widget's host element only: the demo host page keeps a deliberately hostile box
(red text) to show what the widget's Shadow DOM protects it from, and that box is not the widget's to fix.

The open chat fails today only on colour contrast: the grey timestamps and delivery status under the bubbles,
and the header on a brand colour white text cannot read on. Those tests are strict xfails that accept nothing
but that failure, so any other violation fails them for real, and they turn red (XPASS) as soon as the widget
rebuild fixes the contrast: remove the mark then.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.axe import AccessibilityViolations, assert_accessible, axe_violations
from tests.widget_browser.helpers import Shop, all_sent, bubbles, open_chat, type_and_send

HOST = "handoff-widget"
VIEWPORTS = [
    pytest.param({"width": 1100, "height": 800}, id="desktop"),
    pytest.param({"width": 390, "height": 844}, id="phone"),
]


class KnownWidgetContrast(AccessibilityViolations):
    """Only colour-contrast violations inside the widget: the known issue the widget rebuild fixes."""


WIDGET_CONTRAST = pytest.mark.xfail(
    strict=True, raises=KnownWidgetContrast, reason="widget contrast: fixed with the widget rebuild"
)


def check_widget(page: Page, label: str) -> None:
    try:
        assert_accessible(page, within_shadow_host=HOST, label=label)
    except AccessibilityViolations as exc:
        if {v["id"] for v in exc.violations} == {"color-contrast"}:
            raise KnownWidgetContrast(str(exc), exc.violations) from exc
        raise


# ---- the helper really looks inside open shadow roots --------------------------------------------------------

SHADOW_PAGE = """<!doctype html><html lang="en"><head><title>Shadow check</title></head><body><main>
<h1>Host page</h1><p>Readable text outside any shadow root.</p><bad-host></bad-host><good-host></good-host></main>
<script>
  for (const [tag, color] of [['bad-host', '#bbbbbb'], ['good-host', '#222222']]) {
    document.querySelector(tag).attachShadow({ mode: 'open' }).innerHTML =
      `<div style="background:#fff"><p style="color:${color}">Text inside the ${tag} shadow root</p></div>`;
  }
</script></body></html>"""


def test_axe_checks_nodes_inside_open_shadow_roots(page: Page) -> None:
    page.set_content(SHADOW_PAGE)
    # Light grey on white inside bad-host's shadow root: found from the document and from the host.
    for host in (None, "bad-host"):
        found = [(v["id"], n["target"]) for v in axe_violations(page, within_shadow_host=host) for n in v["nodes"]]
        assert found == [("color-contrast", [["bad-host", "p"]])], (host, found)
    assert axe_violations(page, within_shadow_host="good-host") == []
    with pytest.raises(AccessibilityViolations, match=r"color-contrast \(serious\)[\s\S]*bad-host >> p") as failed:
        assert_accessible(page, within_shadow_host="bad-host", label="scratch")
    assert [v["id"] for v in failed.value.violations] == ["color-contrast"]
    with pytest.raises(Exception, match="no element matches missing-host"):
        axe_violations(page, within_shadow_host="missing-host")


# ---- the widget's screens ------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_closed_launcher(page: Page, shop: Shop, viewport: dict[str, int]) -> None:
    page.set_viewport_size(viewport)
    page.goto(shop.demo_url)
    expect(page.get_by_role("button", name="Open chat")).to_be_visible()
    check_widget(page, f"widget launcher ({viewport['width']}px)")


@WIDGET_CONTRAST
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_open_chat_with_a_message(page: Page, shop: Shop, viewport: dict[str, int]) -> None:
    page.set_viewport_size(viewport)
    open_chat(page, shop.demo_url)
    type_and_send(page, "Hello, is anyone there?")
    expect(bubbles(page, "Hello, is anyone there?")).to_have_count(1)
    all_sent(page)
    check_widget(page, f"widget open with a message ({viewport['width']}px)")


@WIDGET_CONTRAST
def test_open_chat_in_a_brand_colour_white_text_cannot_read_on(page: Page, shop: Shop) -> None:
    # White on #ff0000 is 4.0:1. The admin app's rule (admin-frontend/src/lib/contrast.ts) puts #111111 on
    # it (4.7:1); the widget's own pick today is white, so its header fails here too.
    assert shop.admin.patch("/api/v1/tenant", {"settings": {"color": "#ff0000"}}).status_code == 200
    open_chat(page, shop.demo_url)
    check_widget(page, "widget open on a #ff0000 brand colour")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_followup_form(page: Page, offline_shop: Shop, viewport: dict[str, int]) -> None:
    page.set_viewport_size(viewport)
    page.goto(offline_shop.demo_url)
    page.get_by_role("button", name="Open chat").click()
    expect(page.get_by_role("textbox", name="Name")).to_be_focused()
    expect(page.get_by_text("We're away right now")).to_be_visible()
    check_widget(page, f"widget follow-up form ({viewport['width']}px)")
    # Sent without an email or phone: the errors show on the fields.
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("textbox", name="Email")).to_have_attribute("aria-invalid", "true")
    check_widget(page, f"widget follow-up form with errors ({viewport['width']}px)")
