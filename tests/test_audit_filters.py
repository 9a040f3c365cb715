"""`GET /api/v1/events?action=&actor=`: the audit log's filters, against the real server."""

from __future__ import annotations

from tests.conftest import BACKENDS
from tests.support import LiveServer, add_user, make_tenant

pytestmark = BACKENDS


def test_events_filter_by_action_kind_and_actor_within_the_tenant(server: LiveServer) -> None:
    admin, _ = make_tenant(server)
    colleague, user = add_user(admin, role="admin", name="Cleo")
    admin.patch("/api/v1/tenant", {"name": "Renamed"})
    colleague.patch("/api/v1/tenant", {"greeting": "Hello from Cleo"})
    admin.patch(f"/api/v1/users/{user['id']}", {"name": "Cleo B"})
    me = admin.get("/api/v1/auth/me").json()["id"]

    def events(**params: object) -> list[dict[str, object]]:
        response = admin.get("/api/v1/events", params=params)
        assert response.status_code == 200, response.text
        return list(response.json()["events"])

    exact = events(action="tenant.updated")
    assert len(exact) == 2 and all(e["action"] == "tenant.updated" for e in exact)
    kind = events(action="user")
    assert {e["action"] for e in kind} == {"user.created", "user.updated"}
    assert events(action="use") == []  # a kind is a whole word before the dot, not a prefix
    by_colleague = events(actor=user["id"])
    assert by_colleague and all(e["actor"] == {"type": "user", "id": str(user["id"])} for e in by_colleague)
    assert "tenant.updated" in {e["action"] for e in by_colleague}
    both = events(action="tenant.updated", actor=me)
    assert len(both) == 1 and both[0]["actor"] == {"type": "user", "id": str(me)}

    # Paging keeps the filter: one at a time, the cursor walks only the matching events.
    first = admin.get("/api/v1/events", params={"action": "tenant", "limit": 1}).json()
    assert [e["action"] for e in first["events"]] == ["tenant.updated"] and first["next_before"]
    second = admin.get("/api/v1/events", params={"action": "tenant", "limit": 1, "before": first["next_before"]}).json()
    assert [e["action"] for e in second["events"]] == ["tenant.updated"]
    assert second["events"][0]["id"] < first["events"][0]["id"]

    # Another business's actor or actions are never seen.
    other, _ = make_tenant(server)
    assert other.get("/api/v1/events", params={"actor": user["id"]}).json()["events"] == []
    mine = {e["id"] for e in kind}
    theirs = other.get("/api/v1/events", params={"action": "user"}).json()["events"]
    assert theirs and not mine & {e["id"] for e in theirs}


def test_bad_filters_are_422_not_500(server: LiveServer) -> None:
    admin, _ = make_tenant(server)
    for params in (
        {"action": "x" * 65},
        {"action": "user.created; DROP TABLE events"},
        {"action": "%"},
        {"action": "User.Created"},
        {"action": ""},
        {"actor": 0},
        {"actor": "abc"},
        {"actor": 2**63},
    ):
        response = admin.get("/api/v1/events", params=params)
        assert response.status_code == 422, (params, response.text)
    staff, _ = add_user(admin)
    assert staff.get("/api/v1/events", params={"action": "user"}).status_code == 403
