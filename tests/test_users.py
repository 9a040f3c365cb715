"""Staff accounts across businesses, against the real server: what one tenant's admin can learn of another's."""

from __future__ import annotations

import uuid

from tests.conftest import BACKENDS
from tests.support import LiveServer, add_user, make_tenant

pytestmark = BACKENDS

EMAIL_TAKEN = {"detail": "this email address is already in use; use another address"}


def test_an_email_used_by_another_business_is_refused_without_saying_where(server: LiveServer) -> None:
    mine, _ = make_tenant(server, "Bakery")
    other, _ = make_tenant(server, "Florist")
    _, colleague = add_user(mine)
    _, stranger = add_user(other)
    new = {"name": "Newcomer", "password": "pw-" + uuid.uuid4().hex}

    own_team = mine.post("/api/v1/users", {**new, "email": colleague["email"]})
    elsewhere = mine.post("/api/v1/users", {**new, "email": stranger["email"].upper()})
    # Sign-in is by email alone, so an address is one account on the whole server; the answer is the same
    # whether the address is on the caller's team or another business's, and names nobody.
    assert (own_team.status_code, own_team.json()) == (409, EMAIL_TAKEN)
    assert (elsewhere.status_code, elsewhere.json()) == (409, EMAIL_TAKEN)
    assert "Florist" not in elsewhere.text and "tenant" not in elsewhere.text
    assert stranger["email"] not in [u["email"] for u in mine.get("/api/v1/users").json()]
