"""Two-factor codes and verified identity raced between two server processes on one PostgreSQL database
(`tests.pg_races`: every racer has read before any writes): one TOTP code or recovery code signs in once even
when two processes check it at the same instant, and one user id identified on two devices at once is one
verified contact."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pyotp
import pytest

from tests import log_audit
from tests.cluster import Cluster
from tests.pg_races import Racers, writes_held
from tests.support import add_user, make_tenant, query


@pytest.fixture(scope="module")
def cluster(make_module_cluster: Callable[..., Cluster]) -> Iterator[Cluster]:
    yield make_module_cluster(size=2)


def post(url: str, path: str, body: dict[str, Any]) -> httpx.Response:
    log_audit.remember_json(body, "a test sent")
    response = httpx.post(f"{url}{path}", json=body, timeout=30)
    log_audit.remember_response(response)
    return response


def mfa_user(cluster: Cluster) -> tuple[dict[str, Any], str, list[str]]:
    admin, _ = make_tenant(cluster[0])
    api, user = add_user(admin)
    secret = api.post("/api/v1/auth/mfa/setup").json()["secret"]
    log_audit.remember(secret, "a TOTP secret")
    enabled = api.post("/api/v1/auth/mfa/enable", {"code": pyotp.TOTP(secret).now()})
    assert enabled.status_code == 200, enabled.text
    return user, secret, enabled.json()["recovery_codes"]


def challenges(cluster: Cluster, user: dict[str, Any]) -> list[str]:
    return [
        post(server.url, "/api/v1/auth/login", {"email": user["email"], "password": user["password"]}).json()[
            "mfa_token"
        ]
        for server in (cluster[0], cluster[1])
    ]


@pytest.mark.parametrize("kind", ["totp", "recovery"])
def test_one_code_checked_by_two_processes_at_once_signs_in_once(cluster: Cluster, kind: str) -> None:
    user, secret, recovery = mfa_user(cluster)
    tokens = challenges(cluster, user)
    code = pyotp.TOTP(secret).at(time.time() + 30) if kind == "totp" else recovery[0]
    table = "users" if kind == "totp" else "mfa_recovery_codes"
    with writes_held(cluster.database_url, table) as release:
        racers = Racers(
            *(
                (lambda s=server, t=token: post(s.url, "/api/v1/auth/mfa/verify", {"mfa_token": t, "code": code}))
                for server, token in zip((cluster[0], cluster[1]), tokens, strict=True)
            )
        )
        release(2)
    assert sorted(r.status_code for r in racers.results()) == [200, 401]


def test_one_user_identified_on_two_devices_at_once_is_one_contact(cluster: Cluster) -> None:
    admin, key = make_tenant(cluster[0])
    secret = admin.get("/api/v1/tenant/identity-secret").json()["identity_secret"]
    log_audit.remember(secret, "an identity secret")
    user_hash = hmac.new(secret.encode(), b"cust-1", hashlib.sha256).hexdigest()
    body = {"widget_key": key, "user_id": "cust-1", "user_hash": user_hash, "name": "Ada"}
    with writes_held(cluster.database_url, "contacts") as release:
        racers = Racers(
            *((lambda s=server: post(s.url, "/api/v1/widget/session", body)) for server in (cluster[0], cluster[1]))
        )
        release(2)
    answers = racers.results()
    assert [r.status_code for r in answers] == [200, 200]
    assert answers[0].json()["visitor_id"] == answers[1].json()["visitor_id"]
    tenant_id = admin.get("/api/v1/tenant").json()["id"]
    rows = query(cluster[0], "SELECT verified_user_id FROM contacts WHERE tenant_id = ?", tenant_id)
    assert rows == [("cust-1",)]
