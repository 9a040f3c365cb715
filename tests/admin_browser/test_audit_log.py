"""The Audit log page: an admin's own actions appear with who did them and from where; staff have no way in."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.admin_browser.helpers import Shop, nav, sign_in
from tests.axe import assert_accessible, describe
from tests.support import LiveServer, add_user


def test_an_admin_sees_what_they_just_did_in_the_audit_log(live: LiveServer, shop: Shop, page: Page) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})  # the table's seven columns
    sign_in(page, live, shop.email, shop.password)
    menu = nav(page)

    # Change a setting.
    menu.get_by_role("link", name="Settings").click()
    page.get_by_role("textbox", name="Greeting").fill("Hello from the audit test")
    page.get_by_role("button", name="Save widget settings").click()
    expect(page.get_by_role("status").filter(has_text="Widget settings saved.")).to_be_visible()

    # Add a user.
    menu.get_by_role("link", name="Team").click()
    invite = page.get_by_role("form", name="Invite a teammate")
    invite.get_by_role("textbox", name="Name").fill("Ada Added")
    invite.get_by_role("textbox", name="Email").fill(f"ada-{uuid.uuid4().hex[:8]}@example.com")
    invite.get_by_role("textbox", name="Initial password").fill("pw-" + uuid.uuid4().hex)
    invite.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("cell", name="Ada Added", exact=True)).to_be_visible()

    menu.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1, name="Audit log")).to_be_visible()
    table = page.get_by_role("table")
    settings_row = table.get_by_role("row").filter(has=page.get_by_role("cell", name="Changed settings", exact=True))
    # (Not the shop's own admin, whom the platform added when it created the business.)
    added_row = (
        table.get_by_role("row")
        .filter(has=page.get_by_role("cell", name="Added user", exact=True))
        .filter(has=page.get_by_role("cell", name="User Ada Added", exact=True))
    )
    expect(settings_row).to_have_count(1)
    expect(added_row).to_have_count(1)
    for row in (settings_row, added_row):
        expect(row.get_by_role("cell", name=shop.name, exact=True)).to_be_visible()  # who
        expect(row.get_by_role("cell", name="127.0.0.1", exact=True)).to_be_visible()  # the browser's address
    # Newest first: the user was added after the settings were changed, and the sign-in came before both.
    rows = table.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Added user")
    expect(rows.nth(2)).to_contain_text("Changed settings")
    expect(rows.nth(3)).to_contain_text("Signed in")

    # The full timestamp is there on focus as on hover.
    when = added_row.locator("time")
    expect(when).to_have_attribute("title", re.compile(r"\d{4}"))
    when.focus()
    expect(when).to_be_focused()

    # Each row's detail opens in place.
    details = added_row.get_by_role("button", name=re.compile(r"^Details: Added user"))
    details.click()
    expect(details).to_have_attribute("aria-expanded", "true")
    detail = page.locator(f"#{details.get_attribute('aria-controls')}")
    expect(detail).to_contain_text("role")
    expect(detail).to_contain_text("staff")
    expect(detail).to_contain_text("user.created")
    violations = assert_accessible(page, label="audit log with a row expanded")
    assert violations == [], f"audit log: axe violations of lower impact:\n{describe(violations)}"
    expect(page.locator("h1")).to_have_count(1)

    # Filters: one action, then a teammate who did nothing.
    page.get_by_role("combobox", name="Action").select_option(label="Changed settings")
    expect(table.get_by_role("row")).to_have_count(2)  # the header and the one change
    expect(settings_row).to_have_count(1)
    page.get_by_role("combobox", name="Teammate").select_option(label="Ada Added")
    expect(page.get_by_text("No events match these filters.")).to_be_visible()
    page.get_by_role("button", name="Clear filters").click()
    expect(added_row).to_have_count(1)


def test_staff_have_no_audit_log(live: LiveServer, shop: Shop, page: Page) -> None:
    _, staff = add_user(shop.api, "staff", name="Stu Staff")
    sign_in(page, live, staff["email"], staff["password"])
    expect(nav(page).get_by_role("link", name="Inbox")).to_be_visible()
    expect(nav(page).get_by_role("link", name="Audit log")).to_have_count(0)
    page.goto(f"{live.url}/admin-app/#/audit")
    expect(page.get_by_role("heading", name="Not available")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)


def test_older_loads_the_next_page_with_the_cursor(live: LiveServer, shop: Shop, page: Page) -> None:
    for n in range(55):  # more than one page (50) of settings changes
        assert shop.api.patch("/api/v1/tenant", {"name": f"Renamed {n}"}).status_code == 200
    total = len(shop.api.get("/api/v1/events", params={"limit": 500}).json()["events"])
    sign_in(page, live, shop.email, shop.password)
    nav(page).get_by_role("link", name="Audit log").click()
    body_rows = page.get_by_role("table").get_by_role("row").filter(has=page.get_by_role("cell"))
    expect(body_rows).to_have_count(50)
    page.get_by_role("button", name="Older").click()
    expect(body_rows).to_have_count(total + 1)  # and the sign-in just now
    expect(page.get_by_role("button", name="Older")).to_have_count(0)
