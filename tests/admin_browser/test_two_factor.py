"""Two-factor sign-in and identity verification in a real browser: set 2FA up on the Account page (the
server-drawn QR code, a code from pyotp, the recovery codes), sign out and back in with a code at the login's
second step; the Settings panels for requiring 2FA and for the identity secret (rotated through its
confirmation). axe checks each screen."""

from __future__ import annotations

import time

import pyotp
from playwright.sync_api import Page, expect

from tests import log_audit
from tests.admin_browser.helpers import Shop, nav, open_app, sign_in
from tests.axe import assert_accessible, describe


def check_screen(page: Page, label: str) -> None:
    violations = assert_accessible(page, label=label)
    assert violations == [], f"{label}: axe violations of lower impact:\n{describe(violations)}"


def test_set_up_two_factor_and_sign_in_with_a_code(page: Page, shop: Shop) -> None:
    sign_in(page, shop.api.server, shop.email, shop.password)
    page.get_by_role("link", name=shop.name).click()
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.get_by_test_id("mfa-secret").inner_text()
    log_audit.remember(secret, "a TOTP secret")
    check_screen(page, "two-factor setup")
    page.get_by_role("textbox", name="Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on", exact=True).click()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    for code in codes.all_inner_texts():
        log_audit.remember(code.strip(), "a recovery code")
    expect(page.get_by_role("button", name="Download codes")).to_be_visible()
    check_screen(page, "recovery codes")
    page.get_by_role("button", name="Done").click()
    section = page.get_by_role("region", name="Two-factor sign-in")
    expect(section.get_by_role("status")).to_have_text("Two-factor sign-in is on. 10 recovery codes left.")

    page.get_by_role("button", name="Sign out").click()
    open_app(page, shop.api.server)
    page.get_by_role("textbox", name="Email").fill(shop.email)
    page.get_by_role("textbox", name="Password").fill(shop.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    check_screen(page, "login second step")
    box = page.get_by_role("textbox", name="Authentication code")
    box.fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("incorrect")
    box.fill(pyotp.TOTP(secret).at(time.time() + 30))  # the next step's: the setup used this one
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("connection")).to_have_text("Connected")


def test_settings_require_two_factor_and_rotate_the_identity_secret(page: Page, shop: Shop) -> None:
    sign_in(page, shop.api.server, shop.email, shop.password)
    nav(page).get_by_role("link", name="Settings").click()
    panel = page.get_by_role("region", name="Identity verification")
    secret = panel.get_by_test_id("identity-secret")
    expect(secret).to_have_text(shop.api.get("/api/v1/tenant/identity-secret").json()["identity_secret"])
    before = secret.inner_text()
    log_audit.remember(before, "an identity secret")
    expect(panel.get_by_role("button", name="Copy Python sample")).to_be_visible()
    check_screen(page, "identity verification")
    panel.get_by_role("button", name="Rotate secret").click()
    dialog = page.get_by_role("dialog", name="Rotate the identity secret?")
    check_screen(page, "rotate confirmation")
    dialog.get_by_role("button", name="Rotate").click()
    expect(dialog).to_be_hidden()
    expect(secret).not_to_have_text(before)
    log_audit.remember(secret.inner_text(), "an identity secret")

    page.get_by_role("checkbox", name="Require two-factor sign-in").click()  # saved at once, then shown checked
    expect(page.get_by_role("checkbox", name="Require two-factor sign-in")).to_be_checked()
    assert shop.api.get("/api/v1/tenant").json()["settings"]["require_mfa"] is True
