"""Verified visitor identity against the real server, on both databases: the admin's identity secret (read,
rotate), a valid user_id/user_hash pair tying every device of a user to one verified contact, a forged hash
or another user's hash refused with 401 and nothing linked, and `require_identity` ignoring unverified
names and emails (the widget session's and the follow-up form's)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx

from tests import log_audit
from tests.conftest import BACKENDS
from tests.support import Api, LiveServer, add_user, make_tenant, query, staff_socket, visitor_session

pytestmark = BACKENDS
SECRET = "/api/v1/tenant/identity-secret"


def identity_secret(admin: Api) -> str:
    response = admin.get(SECRET)
    assert response.status_code == 200, response.text
    secret: str = response.json()["identity_secret"]
    log_audit.remember(secret, "an identity secret")
    return secret


def signed(secret: str, user_id: str) -> str:
    user_hash = hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()
    log_audit.remember(user_hash, "a user_hash")
    return user_hash


def session(server: LiveServer, key: str, **extra: Any) -> httpx.Response:
    log_audit.remember_json(extra, "a test sent")
    response = httpx.post(f"{server.url}/api/v1/widget/session", json={"widget_key": key, **extra})
    log_audit.remember_response(response)
    return response


def says(server: LiveServer, visitor: dict[str, Any], text: str) -> int:
    response = httpx.post(
        f"{server.url}/webchat", json={"text": text}, headers={"Authorization": f"Bearer {visitor['visitor_token']}"}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["conversation_id"])


def verified_rows(server: LiveServer, tenant_id: int) -> list[tuple[Any, ...]]:
    return query(
        server,
        "SELECT id, verified_user_id, name FROM contacts WHERE tenant_id = ? AND verified_user_id IS NOT NULL",
        tenant_id,
    )


def test_admins_read_and_rotate_the_secret(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    staff, _ = add_user(admin)
    assert staff.get(SECRET).status_code == 403 and staff.post(SECRET).status_code == 403
    secret = identity_secret(admin)
    assert len(secret) == 64 and identity_secret(admin) == secret
    [(stored,)] = query(server, "SELECT identity_secret FROM tenants WHERE widget_key = ?", key)
    assert stored.startswith("enc:v1:") and secret not in stored
    old_hash = signed(secret, "user-1")
    rotated = admin.post(SECRET)
    assert rotated.status_code == 200
    new = rotated.json()["identity_secret"]
    log_audit.remember(new, "an identity secret")
    assert new != secret and identity_secret(admin) == new
    assert session(server, key, user_id="user-1", user_hash=old_hash).status_code == 401
    assert session(server, key, user_id="user-1", user_hash=signed(new, "user-1")).status_code == 200
    events = admin.get("/api/v1/events", params={"action": "tenant"}).json()["events"]
    assert "tenant.identity_secret_rotated" in [e["action"] for e in events]


def test_one_user_id_is_one_verified_contact_on_every_device(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    secret = identity_secret(admin)
    tenant_id = admin.get("/api/v1/tenant").json()["id"]
    user_hash = signed(secret, "cust-42")
    laptop = session(server, key, user_id="cust-42", user_hash=user_hash, name="Ada", email="ada@example.com")
    assert laptop.status_code == 200, laptop.text
    # Another browser, which had been an anonymous visitor of its own.
    phone_before = visitor_session(server, key)
    phone = session(
        server,
        key,
        user_id="cust-42",
        user_hash=user_hash.upper(),
        visitor_id=phone_before["visitor_id"],
        visitor_token=phone_before["visitor_token"],
    )
    assert phone.status_code == 200, phone.text
    assert phone.json()["visitor_id"] == laptop.json()["visitor_id"] != phone_before["visitor_id"]
    first = says(server, laptop.json(), "from the laptop")
    assert says(server, phone.json(), "from the phone") == first
    rows = verified_rows(server, tenant_id)
    assert [(r[1], r[2]) for r in rows] == [("cust-42", "Ada")]
    person = admin.get(f"/admin/api/contacts/{rows[0][0]}").json()
    assert person["verified"] is True and person["verified_user_id"] == "cust-42"
    assert len(person["conversations"]) == 1
    # The phone's anonymous identity stays anonymous.
    listed = admin.get("/admin/api/contacts").json()["contacts"]
    assert [c["verified"] for c in listed if c["external_id"] == phone_before["visitor_id"]] in ([], [False])


def test_a_forged_or_borrowed_hash_is_401_and_links_nothing(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    secret = identity_secret(admin)
    tenant_id = admin.get("/api/v1/tenant").json()["id"]
    anonymous = visitor_session(server, key, name="Anon")
    resume = {"visitor_id": anonymous["visitor_id"], "visitor_token": anonymous["visitor_token"]}
    forged = hmac.new(b"not-the-secret", b"victim", hashlib.sha256).hexdigest()
    attempts = [
        {"user_id": "victim", "user_hash": forged},
        {"user_id": "victim", "user_hash": signed(secret, "someone-else")},
        {"user_id": "victim"},
        {"user_hash": signed(secret, "victim")},
        {"user_id": "victim", "user_hash": "é" * 64},
    ]
    for attempt in attempts:
        refused = session(server, key, name="Mallory", email="m@example.com", **resume, **attempt)
        assert refused.status_code == 401, (attempt, refused.text)
        assert "detail" in refused.json()
    assert verified_rows(server, tenant_id) == []
    names = query(server, "SELECT name, email FROM contacts WHERE tenant_id = ?", tenant_id)
    assert names == [("Anon", None)]


def test_require_identity_ignores_unverified_names_and_emails(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    secret = identity_secret(admin)
    tenant_id = admin.get("/api/v1/tenant").json()["id"]
    assert admin.patch("/api/v1/tenant", {"settings": {"require_identity": True}}).status_code == 200
    assert admin.get("/api/v1/tenant").json()["settings"]["require_identity"] is True
    anonymous = visitor_session(server, key, name="Claimed CEO", email="ceo@example.com")
    assert "require_identity" not in anonymous["settings"]
    says(server, anonymous, "hello")
    followup = httpx.post(
        f"{server.url}/followup",
        json={"widget_key": key, "name": "Claimed CEO", "email": "ceo@example.com", "message": "call me"},
        headers={"Authorization": f"Bearer {anonymous['visitor_token']}"},
    )
    assert followup.status_code == 201, followup.text  # kept on the follow-up, not on the contact
    verified = visitor_session(server, key, user_id="u-7", user_hash=signed(secret, "u-7"), name="Real Name")
    rows = query(
        server, "SELECT name, email, verified_user_id FROM contacts WHERE tenant_id = ? ORDER BY id", tenant_id
    )
    assert rows == [(None, None, None), ("Real Name", None, "u-7")]
    assert verified["visitor_id"] != anonymous["visitor_id"]


def test_a_chat_started_anonymously_goes_on_once_the_visitor_is_verified(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    secret = identity_secret(admin)
    anonymous = visitor_session(server, key)
    started = says(server, anonymous, "before signing in")
    staff = staff_socket(server, admin.token or "")
    identified = session(
        server,
        key,
        user_id="cust-7",
        user_hash=signed(secret, "cust-7"),
        visitor_id=anonymous["visitor_id"],
        visitor_token=anonymous["visitor_token"],
    )
    assert identified.status_code == 200, identified.text
    assert identified.json()["conversation"]["id"] == started
    update = staff.recv_until(lambda f: f["type"] == "conversation_updated")
    assert update["conversation"]["id"] == started
    assert update["conversation"]["contact"]["external_id"] == identified.json()["visitor_id"]
    assert update["conversation"]["contact"]["verified"] is True
    staff.close()
    assert says(server, identified.json(), "after signing in") == started
    people = admin.get("/admin/api/contacts").json()["contacts"]
    assert [(p["verified"], p["verified_user_id"]) for p in people] == [(True, "cust-7")]
    person = admin.get(f"/admin/api/contacts/{people[0]['id']}").json()
    assert {i["external_id"] for i in person["identities"]} == {
        anonymous["visitor_id"],
        identified.json()["visitor_id"],
    }
    # A visitor already verified as someone else is never folded into another user.
    other = session(
        server,
        key,
        user_id="cust-8",
        user_hash=signed(secret, "cust-8"),
        visitor_token=identified.json()["visitor_token"],
    )
    assert other.status_code == 200 and other.json()["conversation"] is None
