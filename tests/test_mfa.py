"""Two-factor sign-in against the real server, on both databases: setup, enable, the login's second step with
a TOTP code (each code once) or a recovery code (each once), disabling with a code, the team requirement's
setup-at-login flow, the wrong-code limit, and the secret sealed at rest. Codes are made here with pyotp."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pyotp

from tests import log_audit
from tests.conftest import BACKENDS
from tests.support import Api, LiveServer, add_user, make_tenant, query

pytestmark = BACKENDS
MFA = "/api/v1/auth/mfa"


def code(secret: str, steps_ahead: int = 0) -> str:
    """The code of the current time step, or of a later one (the server accepts one step of drift)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def post(server: LiveServer, path: str, body: dict[str, Any]) -> httpx.Response:
    log_audit.remember_json(body, "a test sent")
    response = httpx.post(f"{server.url}{path}", json=body)
    log_audit.remember_response(response)
    return response


def password_step(server: LiveServer, email: str, password: str) -> dict[str, Any]:
    response = post(server, "/api/v1/auth/login", {"email": email, "password": password})
    assert response.status_code == 200, response.text
    return dict(response.json())


def enable(api: Api) -> tuple[str, list[str]]:
    setup = api.post(f"{MFA}/setup")
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    enabled = api.post(f"{MFA}/enable", {"code": code(secret)})
    assert enabled.status_code == 200, enabled.text
    codes = enabled.json()["recovery_codes"]
    log_audit.remember(secret, "a TOTP secret")
    return secret, codes


def teammate(server: LiveServer) -> tuple[Api, dict[str, Any]]:
    admin, _ = make_tenant(server)
    return add_user(admin, role="admin")


def actions(api: Api) -> list[str]:
    return [e["action"] for e in api.get("/api/v1/events", params={"action": "auth"}).json()["events"]]


def test_setup_enable_and_sign_in_with_a_code_once(server: LiveServer) -> None:
    api, user = teammate(server)
    setup = api.post(f"{MFA}/setup").json()
    assert setup["otpauth_url"].startswith("otpauth://totp/") and setup["secret"] in setup["otpauth_url"]
    assert setup["qr_svg"].startswith("data:image/svg+xml")
    secret = setup["secret"]
    log_audit.remember(secret, "a TOTP secret")
    # Not on until a right code: the login still answers tokens, a wrong code enables nothing.
    assert "access_token" in password_step(server, user["email"], user["password"])
    wrong = api.post(f"{MFA}/enable", {"code": "000000" if code(secret) != "000000" else "111111"})
    assert wrong.status_code == 401
    enabled = api.post(f"{MFA}/enable", {"code": code(secret)})
    assert enabled.status_code == 200, enabled.text
    assert len(enabled.json()["recovery_codes"]) == 10 and enabled.json()["tokens"] is None
    assert api.get(MFA).json() == {"enabled": True, "recovery_codes_left": 10, "required": False}
    # Sealed at rest, like channel secrets.
    [(stored,)] = query(server, "SELECT mfa_secret FROM users WHERE id = ?", user["id"])
    assert stored.startswith("enc:v1:") and secret not in stored

    challenge = password_step(server, user["email"], user["password"])
    assert challenge["mfa_required"] is True and "access_token" not in challenge
    later = code(secret, 1)
    signed_in = post(server, f"{MFA}/verify", {"mfa_token": challenge["mfa_token"], "code": later})
    assert signed_in.status_code == 200, signed_in.text
    assert Api(server, signed_in.json()["access_token"]).get("/api/v1/auth/me").json()["id"] == user["id"]
    # The same code again, even with a fresh login: refused (its time step is spent).
    again = password_step(server, user["email"], user["password"])
    reused = post(server, f"{MFA}/verify", {"mfa_token": again["mfa_token"], "code": later})
    assert reused.status_code == 401
    # The mfa token is for that step only, and an access token is no mfa token.
    assert post(server, f"{MFA}/setup", {"mfa_token": again["mfa_token"]}).status_code == 401
    assert api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {again['mfa_token']}"}).status_code == 401
    as_token = post(server, f"{MFA}/verify", {"mfa_token": signed_in.json()["access_token"], "code": code(secret)})
    assert as_token.status_code == 401
    assert {"auth.mfa_enabled", "auth.login"} <= set(actions(api))


def test_recovery_codes_sign_in_once_each(server: LiveServer) -> None:
    api, user = teammate(server)
    _, codes = enable(api)
    first = password_step(server, user["email"], user["password"])
    used = post(server, f"{MFA}/verify", {"mfa_token": first["mfa_token"], "code": codes[0].upper()})
    assert used.status_code == 200, used.text
    second = password_step(server, user["email"], user["password"])
    assert post(server, f"{MFA}/verify", {"mfa_token": second["mfa_token"], "code": codes[0]}).status_code == 401
    assert api.get(MFA).json()["recovery_codes_left"] == 9
    assert "auth.mfa_recovery_used" in actions(api)
    rows = query(server, "SELECT code_hash FROM mfa_recovery_codes WHERE user_id = ?", user["id"])
    assert len(rows) == 10 and not {c for (c,) in rows} & set(codes)


def test_disabling_needs_a_current_code(server: LiveServer) -> None:
    api, user = teammate(server)
    secret, _ = enable(api)
    assert api.post(f"{MFA}/disable", {"code": "12345678"}).status_code == 401
    assert api.post(f"{MFA}/disable", {"code": "١٢٣٤٥٦"}).status_code == 401  # digits, but not ASCII ones
    assert api.get(MFA).json()["enabled"] is True
    off = api.post(f"{MFA}/disable", {"code": code(secret, 1)})
    assert off.status_code == 200, off.text
    assert off.json()["enabled"] is False
    assert "access_token" in password_step(server, user["email"], user["password"])
    assert "auth.mfa_disabled" in actions(api)
    [(stored,)] = query(server, "SELECT mfa_secret FROM users WHERE id = ?", user["id"])
    assert stored is None


def test_a_team_that_requires_2fa_sends_users_without_it_to_set_it_up(server: LiveServer) -> None:
    admin, _ = make_tenant(server)
    staff, user = add_user(admin)
    assert staff.patch("/api/v1/tenant", {"settings": {"require_mfa": True}}).status_code == 403
    assert admin.patch("/api/v1/tenant", {"settings": {"require_mfa": True}}).status_code == 200

    challenge = password_step(server, user["email"], user["password"])
    assert challenge["mfa_setup_required"] is True and "access_token" not in challenge
    token = challenge["mfa_token"]
    # A setup token is not a second factor.
    assert post(server, f"{MFA}/verify", {"mfa_token": token, "code": "123456"}).status_code == 401
    setup = post(server, f"{MFA}/setup", {"mfa_token": token})
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    log_audit.remember(secret, "a TOTP secret")
    enabled = post(server, f"{MFA}/enable", {"mfa_token": token, "code": code(secret)})
    assert enabled.status_code == 200, enabled.text
    tokens = enabled.json()["tokens"]
    signed_in = Api(server, tokens["access_token"])
    assert signed_in.get(MFA).json() == {"enabled": True, "recovery_codes_left": 10, "required": True}
    # Required: it cannot be turned off, and the next login asks for a code.
    assert signed_in.post(f"{MFA}/disable", {"code": code(secret, 1)}).status_code == 409
    assert password_step(server, user["email"], user["password"])["mfa_required"] is True


def test_wrong_codes_are_limited_per_account(server: LiveServer) -> None:
    api, user = teammate(server)
    secret, _ = enable(api)
    token = password_step(server, user["email"], user["password"])["mfa_token"]
    wrong = f"{(int(code(secret)) + 500_000) % 1_000_000:06d}"
    answers = [post(server, f"{MFA}/verify", {"mfa_token": token, "code": wrong}).status_code for _ in range(10)]
    assert answers == [401] * 10
    limited = post(server, f"{MFA}/verify", {"mfa_token": token, "code": code(secret, 1)})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_bad_input_is_a_clear_4xx(server: LiveServer) -> None:
    api, _ = teammate(server)
    assert api.post(f"{MFA}/enable", {"code": "123456"}).status_code == 409  # no setup yet
    assert post(server, f"{MFA}/verify", {"mfa_token": "x", "code": "123456"}).status_code == 401
    assert post(server, f"{MFA}/setup", {"mfa_token": uuid.uuid4().hex}).status_code == 401
    assert post(server, f"{MFA}/verify", {"mfa_token": "x"}).status_code == 422


def test_an_admin_resets_a_teammates_2fa_in_their_own_tenant_only(server: LiveServer) -> None:
    admin, _ = make_tenant(server)
    other_admin, _ = make_tenant(server)
    staff, user = add_user(admin)
    enable(staff)
    listed = {u["id"]: u["mfa_enabled"] for u in admin.get("/api/v1/users").json()}
    assert listed[user["id"]] is True
    assert staff.post(f"/api/v1/users/{user['id']}/mfa/reset").status_code == 403
    assert other_admin.post(f"/api/v1/users/{user['id']}/mfa/reset").status_code == 404
    assert password_step(server, user["email"], user["password"])["mfa_required"] is True
    me = admin.get("/api/v1/auth/me").json()["id"]
    assert admin.post(f"/api/v1/users/{me}/mfa/reset").status_code == 409
    assert admin.post(f"/api/v1/users/{user['id']}/mfa/reset").status_code == 204
    assert "access_token" in password_step(server, user["email"], user["password"])
    assert "auth.mfa_reset" in actions(admin)


def test_an_api_token_cannot_manage_two_factor_or_read_the_identity_secret(server: LiveServer) -> None:
    admin, _ = make_tenant(server)
    staff, user = add_user(admin)
    enable(staff)
    created = admin.post("/api/v1/api-tokens", {"name": "ci", "role": "admin"})
    assert created.status_code == 201, created.text
    robot = Api(server, created.json()["token"])
    assert robot.get(MFA).status_code == 200
    assert robot.post(f"{MFA}/setup").status_code == 403
    assert robot.post(f"{MFA}/disable", {"code": "123456"}).status_code == 403
    assert robot.post(f"/api/v1/users/{user['id']}/mfa/reset").status_code == 403
    assert robot.get("/api/v1/tenant/identity-secret").status_code == 403
    assert robot.post("/api/v1/tenant/identity-secret").status_code == 403
    assert staff.get(MFA).json()["enabled"] is True
