"""API tokens against the real server: shown once and stored hashed, a bearer token on the staff API with its
role, last use recorded, expiry, revocation a 401 at once (also on every process of a cluster), audited, and
confined to their tenant."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import BACKENDS
from tests.support import Api, LiveServer, add_user, execute, make_tenant, query

pytestmark = BACKENDS


def create(admin: Api, **body: Any) -> dict[str, Any]:
    created = admin.post("/api/v1/api-tokens", {"name": "Zapier", **body})
    assert created.status_code == 201, created.text
    return dict(created.json())


def status_with(server: LiveServer, token: str, path: str = "/admin/api/convos") -> int:
    return httpx.get(f"{server.url}{path}", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_works_on_the_staff_api_until_revoked(server: LiveServer) -> None:
    admin, _ = make_tenant(server)
    created = create(admin)
    token = created["token"]
    assert token.startswith("hnd_") and created["role"] == "staff" and created["prefix"] == token[:8]
    [(stored,)] = query(server, "SELECT token_hash FROM api_tokens WHERE id = ?", created["id"])
    assert stored == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept
    assert not query(server, "SELECT id FROM api_tokens WHERE token_hash = ?", token)

    assert status_with(server, token) == 200
    me = httpx.get(f"{server.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["role"] == "staff" and me["tenant_id"] == admin.get("/api/v1/auth/me").json()["tenant_id"]
    assert status_with(server, token, "/api/v1/users") == 403  # a staff token: no admin endpoints

    [listed] = admin.get("/api/v1/api-tokens").json()["api_tokens"]
    assert listed["id"] == created["id"] and "token" not in listed and token not in str(listed)
    assert listed["last_used_at"] is not None and listed["created_by"]["name"] == "Admin"

    revoked = admin.http.delete(f"/api/v1/api-tokens/{created['id']}", headers=admin.headers())
    assert revoked.status_code == 204
    refused = httpx.get(f"{server.url}/admin/api/convos", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and refused.json()["detail"] == "token revoked"
    assert admin.get("/api/v1/api-tokens").json()["api_tokens"] == []
    assert admin.http.delete(f"/api/v1/api-tokens/{created['id']}", headers=admin.headers()).status_code == 404
    actions = [e["action"] for e in admin.get("/api/v1/events?action=api_token").json()["events"]]
    assert actions == ["api_token.revoked", "api_token.created"]
    assert status_with(server, "hnd_" + "x" * 43) == 401


def test_an_admin_token_acts_as_an_admin_but_cannot_manage_tokens_or_passwords(server: LiveServer) -> None:
    admin, _ = make_tenant(server)
    token = create(admin, role="admin")["token"]
    as_token = Api(server, token)
    assert as_token.get("/api/v1/users").status_code == 200
    assert as_token.post("/api/v1/api-tokens", {"name": "more"}).status_code == 403
    assert as_token.get("/api/v1/api-tokens").status_code == 403
    changed = as_token.post("/api/v1/auth/password", {"current_password": "x" * 10, "new_password": "y" * 10})
    assert changed.status_code == 403
    assert as_token.post("/api/v1/auth/logout").status_code == 403

    # A staff member's admin token is no more than they are.
    member_api, member = add_user(admin, role="admin", name="Ada")
    member_token = create(member_api, role="admin")["token"]
    assert status_with(server, member_token, "/api/v1/users") == 200
    assert admin.patch(f"/api/v1/users/{member['id']}", {"role": "staff"}).status_code == 200
    assert status_with(server, member_token, "/api/v1/users") == 403
    assert admin.patch(f"/api/v1/users/{member['id']}", {"disabled": True}).status_code == 200
    assert status_with(server, member_token) == 401


def test_expiry_and_bad_input(server: LiveServer) -> None:
    admin, _ = make_tenant(server)
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    created = create(admin, expires_at=soon)
    assert created["expires_at"].startswith(soon[:16])
    assert status_with(server, created["token"]) == 200
    execute(server, "UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", created["id"])
    expired = httpx.get(f"{server.url}/admin/api/convos", headers={"Authorization": f"Bearer {created['token']}"})
    assert expired.status_code == 401 and expired.json()["detail"] == "token expired"

    for body in (
        {"name": ""},
        {"name": "   "},
        {"name": "x", "role": "owner"},
        {"name": "x", "expires_at": "2000-01-01T00:00:00Z"},
        {"name": "x", "expires_at": "2999-01-01T00:00:00"},
        {"name": "x", "expires_at": "soon"},
    ):
        refused = admin.post("/api/v1/api-tokens", body)
        assert refused.status_code == 422 and refused.json()["detail"], (body, refused.text)
    staff_api, _ = add_user(admin)
    assert staff_api.post("/api/v1/api-tokens", {"name": "mine"}).status_code == 403


def test_tokens_of_another_tenant(server: LiveServer) -> None:
    admin, _ = make_tenant(server)
    other, _ = make_tenant(server)
    mine = create(admin, role="admin")
    theirs = create(other, role="admin")
    assert [t["id"] for t in admin.get("/api/v1/api-tokens").json()["api_tokens"]] == [mine["id"]]
    assert admin.http.delete(f"/api/v1/api-tokens/{theirs['id']}", headers=admin.headers()).status_code == 404
    assert status_with(server, theirs["token"]) == 200  # untouched
    conversation_ids = {c["id"] for c in Api(server, mine["token"]).get("/admin/api/convos").json()["conversations"]}
    assert conversation_ids == {c["id"] for c in admin.get("/admin/api/convos").json()["conversations"]}
    their_users = {u["id"] for u in Api(server, theirs["token"]).get("/api/v1/users").json()}
    assert their_users.isdisjoint({u["id"] for u in admin.get("/api/v1/users").json()})
