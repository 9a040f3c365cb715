"""Staff auth against the real server: login, throttling, token tampering, refresh rotation, revocation,
roles, tenant scoping, bootstrap, CORS and the audit log."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import httpx
import jwt
import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import BACKENDS
from tests.support import Api, LiveServer, add_user, admin_api, login, make_tenant, staff_socket

pytestmark = BACKENDS


def secret_of(server: LiveServer) -> str:
    """JWT_SECRET when the test set it (always on PostgreSQL), else the key file beside the SQLite file."""
    return server.env.get("JWT_SECRET") or Path(f"{server.db_path}.jwt-secret").read_text().strip()


def me(server: LiveServer, token: str) -> httpx.Response:
    return httpx.get(f"{server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def test_login_returns_token_pair_and_user(server: LiveServer) -> None:
    tokens = login(server)
    assert tokens["token_type"] == "bearer" and tokens["access_token"] and tokens["refresh_token"]
    assert tokens["user"]["email"] == server.admin_email and tokens["user"]["role"] == "admin"
    assert tokens["user"]["tenant_id"] == 1
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert 25 * 60 <= claims["exp"] - claims["iat"] <= 35 * 60  # about 30 minutes
    refresh = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})
    assert 6 * 86400 <= refresh["exp"] - refresh["iat"] <= 8 * 86400  # about 7 days
    assert me(server, tokens["access_token"]).json()["email"] == server.admin_email


def test_bad_credentials_are_401_with_detail(server: LiveServer) -> None:
    wrong = httpx.post(f"{server.url}/api/v1/auth/login", json={"email": server.admin_email, "password": "nope-nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "incorrect email or password"
    unknown = httpx.post(f"{server.url}/api/v1/auth/login", json={"email": "ghost@example.com", "password": "x"})
    assert unknown.status_code == 401 and unknown.json() == wrong.json()
    malformed = httpx.post(f"{server.url}/api/v1/auth/login", json={"email": 5})
    assert malformed.status_code == 422 and isinstance(malformed.json()["detail"], str)
    assert httpx.get(f"{server.url}/api/v1/auth/me").status_code == 401


def from_address(server: LiveServer, address: str) -> httpx.Client:
    """A client whose connections come from `address` (all of 127/8 reaches the server over loopback)."""
    return httpx.Client(base_url=server.url, transport=httpx.HTTPTransport(local_address=address))


def test_repeated_failures_for_one_account_from_one_address_are_throttled(server: LiveServer) -> None:
    admin = admin_api(server)
    _, user = add_user(admin)
    for _ in range(5):
        httpx.post(f"{server.url}/api/v1/auth/login", json={"email": user["email"], "password": "wrong-pass"})
    blocked = httpx.post(f"{server.url}/api/v1/auth/login", json={"email": user["email"], "password": "wrong-pass"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "detail" in blocked.json()


def test_failures_from_other_addresses_never_lock_the_owner_out(server: LiveServer) -> None:
    """Anyone can fail; nobody can stop the right password from an address that has not failed."""
    _, user = add_user(admin_api(server))
    wrong, right = (
        {"email": user["email"], "password": "wrong-pass"},
        {"email": user["email"], "password": user["password"]},
    )
    attacker, owner = from_address(server, "127.0.0.2"), from_address(server, "127.0.0.3")
    for _ in range(5):
        assert attacker.post("/api/v1/auth/login", json=wrong).status_code == 401
    for attempt in (wrong, right):  # the pair (account, attacker's address) is throttled, whatever the password
        blocked = attacker.post("/api/v1/auth/login", json=attempt)
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    for _ in range(3):
        assert owner.post("/api/v1/auth/login", json=right).status_code == 200
    attacker.close()
    owner.close()


def test_a_success_clears_the_failures_of_its_pair(server: LiveServer) -> None:
    _, user = add_user(admin_api(server))
    wrong, right = (
        {"email": user["email"], "password": "wrong-pass"},
        {"email": user["email"], "password": user["password"]},
    )
    typo_prone = from_address(server, "127.0.0.4")
    for _ in range(2):
        assert [typo_prone.post("/api/v1/auth/login", json=wrong).status_code for _ in range(4)] == [401] * 4
        assert typo_prone.post("/api/v1/auth/login", json=right).status_code == 200
    typo_prone.close()


def test_failures_from_one_address_do_not_reach_other_addresses(fresh_server: LiveServer) -> None:
    fresh_server.start()
    guesser, owner = from_address(fresh_server, "127.0.0.5"), from_address(fresh_server, "127.0.0.6")
    right = {"email": fresh_server.admin_email, "password": fresh_server.admin_password}
    for i in range(20):
        assert (
            guesser.post("/api/v1/auth/login", json={"email": f"u{i}@example.com", "password": "x"}).status_code == 401
        )
    blocked = guesser.post("/api/v1/auth/login", json=right)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert owner.post("/api/v1/auth/login", json=right).status_code == 200
    guesser.close()
    owner.close()


def test_repeated_failures_from_one_ip_are_throttled(fresh_server: LiveServer) -> None:
    fresh_server.start()
    for i in range(20):
        httpx.post(f"{fresh_server.url}/api/v1/auth/login", json={"email": f"u{i}@example.com", "password": "x"})
    blocked = httpx.post(
        f"{fresh_server.url}/api/v1/auth/login",
        json={"email": fresh_server.admin_email, "password": fresh_server.admin_password},
    )
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers


def forge(claims: dict, secret: str, alg: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=alg)


def test_tampered_expired_and_alg_none_tokens_are_refused(server: LiveServer) -> None:
    tokens = login(server)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    header, payload, signature = tokens["access_token"].split(".")
    elevated = base64.urlsafe_b64encode(json.dumps({**claims, "tid": 99}).encode()).rstrip(b"=").decode()
    assert me(server, f"{header}.{elevated}.{signature}").status_code == 401
    assert me(server, forge(claims, "some-other-secret")).status_code == 401
    expired = forge({**claims, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}, secret_of(server))
    assert me(server, expired).status_code == 401
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    assert me(server, f"{none_header}.{payload}.").status_code == 401
    # A refresh token is not an access token, even though it is validly signed.
    assert me(server, tokens["refresh_token"]).status_code == 401
    assert me(server, forge(claims, secret_of(server))).status_code == 200  # control: the same claims, signed


def test_refresh_rotates_and_reuse_revokes_the_family(server: LiveServer) -> None:
    first = login(server)
    second = httpx.post(f"{server.url}/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert me(server, second["access_token"]).status_code == 200
    reused = httpx.post(f"{server.url}/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    # Reuse means theft: the whole session is dead, including the newest pair.
    assert me(server, second["access_token"]).status_code == 401
    after = httpx.post(f"{server.url}/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401


def test_logout_revokes_tokens_and_closes_the_staff_socket(server: LiveServer) -> None:
    tokens = login(server)
    other_session = login(server)
    sock = staff_socket(server, tokens["access_token"])
    out = httpx.post(f"{server.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert out.status_code == 204
    assert me(server, tokens["access_token"]).status_code == 401
    refreshed = httpx.post(f"{server.url}/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            sock.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    assert me(server, other_session["access_token"]).status_code == 200  # other devices stay signed in


def test_password_change_revokes_every_session(server: LiveServer) -> None:
    admin = admin_api(server)
    user_api, user = add_user(admin)
    second_device = login(server, user["email"], user["password"])
    new_password = "brand-new-password"
    weak = user_api.post("/api/v1/auth/password", {"current_password": user["password"], "new_password": "short"})
    assert weak.status_code == 422
    wrong = user_api.post("/api/v1/auth/password", {"current_password": "wrong", "new_password": new_password})
    assert wrong.status_code == 403
    ok = user_api.post("/api/v1/auth/password", {"current_password": user["password"], "new_password": new_password})
    assert ok.status_code == 200 and ok.json()["access_token"]
    assert me(server, user_api.token or "").status_code == 401
    assert me(server, second_device["access_token"]).status_code == 401
    assert me(server, ok.json()["access_token"]).status_code == 200
    assert login(server, user["email"], new_password)["user"]["email"] == user["email"]


def test_disabling_a_user_kills_tokens_and_sockets(server: LiveServer) -> None:
    admin = admin_api(server)
    user_api, user = add_user(admin)
    sock = staff_socket(server, user_api.token or "")
    disabled = admin.patch(f"/api/v1/users/{user['id']}", {"disabled": True})
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert user_api.get("/api/v1/auth/me").status_code == 401
    with pytest.raises(ConnectionClosed):
        while True:
            sock.recv()
    assert admin.patch(f"/api/v1/users/{user['id']}", {"disabled": False}).status_code == 200


def test_roles_guard_admin_routes(server: LiveServer) -> None:
    admin = admin_api(server)
    staff_api, staff = add_user(admin, role="staff")
    assert staff_api.get("/api/v1/users").status_code == 403
    assert (
        staff_api.post("/api/v1/users", {"email": "x@example.com", "name": "x", "password": "password1"}).status_code
        == 403
    )
    assert staff_api.patch(f"/api/v1/users/{staff['id']}", {"role": "admin"}).status_code == 403
    assert staff_api.patch("/api/v1/tenant", {"name": "mine now"}).status_code == 403
    assert staff_api.get("/api/v1/events").status_code == 403
    assert (
        staff_api.post(
            "/api/v1/tenants", {"name": "x", "admin_email": "y@example.com", "admin_password": "password1"}
        ).status_code
        == 403
    )
    assert staff_api.get("/api/v1/tenant").status_code == 200  # staff may read their tenant
    team = staff_api.get("/api/v1/team").json()  # and see teammates to assign conversations
    mine = {"id": staff["id"], "name": staff["name"], "role": "staff", "online": False, "available": False}
    assert {**mine, "availability": "online", "max_open": None} in team
    assert all(set(member) == {*mine, "availability", "max_open"} for member in team)
    assert staff_api.get("/admin/api/convos").status_code == 200
    assert admin.patch(f"/api/v1/users/{admin_me(admin)}", {"role": "staff"}).status_code == 409  # no self-demotion


def admin_me(api: Api) -> int:
    return int(api.get("/api/v1/auth/me").json()["id"])


def test_tenants_are_isolated_and_only_platform_admins_create_them(server: LiveServer) -> None:
    shop_admin, widget_key = make_tenant(server, "Shop A")
    other_admin, _ = make_tenant(server, "Shop B")
    tenant = shop_admin.get("/api/v1/tenant").json()
    assert tenant["name"] == "Shop A" and tenant["widget_key"] == widget_key and tenant["id"] != 1
    shop_user = shop_admin.get("/api/v1/users").json()[0]
    assert [u["email"] for u in other_admin.get("/api/v1/users").json()] != [shop_user["email"]]
    assert other_admin.patch(f"/api/v1/users/{shop_user['id']}", {"name": "hijacked"}).status_code == 404
    created = shop_admin.post(
        "/api/v1/tenants", {"name": "x", "admin_email": "z@example.com", "admin_password": "password1"}
    )
    assert created.status_code == 403
    duplicate = admin_api(server).post(
        "/api/v1/tenants", {"name": "dup", "admin_email": shop_user["email"], "admin_password": "password1"}
    )
    assert duplicate.status_code == 409


def test_tenant_settings(server: LiveServer) -> None:
    """(Channel credentials, checked with Twilio and Facebook when saved, are tested in test_channel_settings.py.)"""
    admin, _ = make_tenant(server)
    patched = admin.patch(
        "/api/v1/tenant",
        {
            "settings": {
                "greeting": "Bonjour",
                "color": "#112233",
                "position": "left",
                "language": "fr",
                "prechat_form": True,
            }
        },
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["settings"]["greeting"] == "Bonjour" and body["settings"]["position"] == "left"
    assert body["channels"]["sms"]["configured"] is False
    assert body["channels"]["sms"]["webhook_urls"]["sms"].endswith("/webhooks/twilio/sms")
    assert admin.patch("/api/v1/tenant", {"settings": {"color": "red"}}).status_code == 422
    assert admin.patch("/api/v1/tenant", {"settings": {"position": "middle"}}).status_code == 422
    assert admin.patch("/api/v1/tenant", {"settings": {"timezone": "Mars/Olympus"}}).status_code == 422


def test_audit_log_records_actions_for_the_tenant_only(server: LiveServer) -> None:
    admin, _ = make_tenant(server)
    _, user = add_user(admin)
    admin.patch(f"/api/v1/users/{user['id']}", {"role": "admin"})
    admin.patch("/api/v1/tenant", {"name": "Renamed"})
    events = admin.get("/api/v1/events").json()["events"]
    actions = [e["action"] for e in events]
    assert {"user.created", "user.updated", "tenant.updated", "auth.login"} <= set(actions)
    updated = next(e for e in events if e["action"] == "user.updated")
    assert updated["target"] == {"type": "user", "id": str(user["id"])} and updated["detail"] == {"role": "admin"}
    assert updated["request_id"] not in (None, "-")
    platform_events = admin_api(server).get("/api/v1/events").json()["events"]
    assert not {e["id"] for e in events} & {e["id"] for e in platform_events}


def test_cors_widget_open_to_any_site_staff_api_only_to_frontend_origin(fresh_server: LiveServer) -> None:
    fresh_server.env["FRONTEND_ORIGIN"] = "https://app.example.com"
    fresh_server.start()
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    widget = httpx.options(f"{fresh_server.url}/webchat", headers={"Origin": "https://shop.example.org", **preflight})
    assert widget.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in widget.headers
    staff = httpx.options(
        f"{fresh_server.url}/admin/api/send", headers={"Origin": "https://app.example.com", **preflight}
    )
    assert staff.headers["access-control-allow-origin"] == "https://app.example.com"
    assert staff.headers["access-control-allow-credentials"] == "true"
    evil = httpx.options(
        f"{fresh_server.url}/admin/api/send", headers={"Origin": "https://evil.example.net", **preflight}
    )
    assert "access-control-allow-origin" not in evil.headers


def test_health_docs_request_id_and_no_tokens_in_logs(server: LiveServer) -> None:
    health = httpx.get(f"{server.url}/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert health.headers["x-request-id"]
    assert httpx.get(f"{server.url}/health", headers={"X-Request-ID": "trace-42"}).headers["x-request-id"] == "trace-42"
    assert httpx.get(f"{server.url}/docs").status_code == 200
    assert "/api/v1/auth/login" in httpx.get(f"{server.url}/openapi.json").json()["paths"]
    tokens = login(server)
    httpx.get(f"{server.url}/api/v1/auth/me?token={tokens['access_token']}")
    log = server.log()
    assert tokens["access_token"] not in log and tokens["refresh_token"] not in log
    assert server.admin_password not in log


def test_first_start_generates_a_random_admin_password_once(fresh_server: LiveServer) -> None:
    del fresh_server.env["ADMIN_PASSWORD"]
    fresh_server.start()
    first_log = fresh_server.log()
    assert "password:" in first_log
    password = first_log.split("password:")[1].split()[0]
    assert len(password) >= 12
    assert login(fresh_server, fresh_server.admin_email, password)["user"]["role"] == "admin"
    fresh_server.restart()
    assert fresh_server.log().count("password:") == 1  # shown once, never again
    if not fresh_server.database_url:  # the generated key file sits beside the SQLite file only
        assert Path(f"{fresh_server.db_path}.jwt-secret").stat().st_mode & 0o077 == 0
