"""Routing on a scaled-out deployment (several processes, one PostgreSQL database, one Redis): an agent's
availability reaches every process, and two processes routing at once never push an agent past their cap
nor assign one conversation twice (the race is made to happen with `writes_held`, tests/pg_races.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.cluster import Cluster
from tests.pg_races import Racers, writes_held
from tests.routing_support import assignee, choose, new_chat, set_cap, settings
from tests.support import Api, add_user, eventually, make_tenant, staff_socket, visitor_session, visitor_socket


@pytest.fixture(scope="module")
def cluster(make_module_cluster: Callable[..., Cluster]) -> Cluster:
    return make_module_cluster(2)


def test_availability_crosses_processes(cluster: Cluster) -> None:
    p1, p2 = cluster
    admin, key = make_tenant(p1)
    ann_api, ann = add_user(admin, name="Ann")
    on_p2 = staff_socket(p2, ann_api.token or "")  # Ann's socket is held by process 2
    eventually(lambda: visitor_session(p1, key)["staff_online"] is True)
    visitor = visitor_socket(p1, visitor_session(p1, key))
    assert visitor.recv_until(lambda f: f["type"] == "presence")["staff_online"] is True

    choose(Api(p1, ann_api.token), "away")  # asked of process 1
    assert visitor.recv_until(lambda f: f["type"] == "presence")["staff_online"] is False
    on_p2.recv_until(lambda f: f["type"] == "presence" and f["availability"] == {str(ann["id"]): "away"})
    assert visitor_session(p1, key)["staff_online"] is False
    assert visitor_session(p2, key)["staff_online"] is False

    choose(Api(p2, ann_api.token), "online")
    assert visitor.recv_until(lambda f: f["type"] == "presence")["staff_online"] is True
    eventually(lambda: visitor_session(p1, key)["staff_online"] is True)
    visitor.close()
    on_p2.close()


def test_two_processes_routing_at_once_respect_the_cap(cluster: Cluster) -> None:
    p1, p2 = cluster
    admin, key = make_tenant(p1)
    settings(admin, auto_assign=True)
    ann_api, ann = add_user(admin, name="Ann")
    set_cap(admin, ann["id"], 1)
    sock = staff_socket(p1, ann_api.token or "")
    team = Api(p2, admin.token)
    eventually(lambda: [m["available"] for m in team.get("/api/v1/team").json() if m["id"] == ann["id"]] == [True])

    # Each process stores its new conversation, counts Ann's open ones (none) and is stopped at its first
    # write to users; the serialised routing lets one assign while the other waits, then sees Ann at her cap.
    with writes_held(cluster.database_url, "users") as release:
        racers = Racers(lambda: new_chat(p1, key, "one"), lambda: new_chat(p2, key, "two"))
        release(2)
    first, second = racers.results()
    assert isinstance(first, int) and isinstance(second, int), (first, second)
    owners = sorted([assignee(admin, first), assignee(admin, second)], key=lambda a: a or 0)
    assert owners == [None, ann["id"]]

    # Both processes free her place at once (the same close asked twice): the waiting one is assigned once.
    assigned = first if assignee(admin, first) else second
    waiting = second if assigned == first else first
    with writes_held(cluster.database_url, "users") as release:
        closes = Racers(
            lambda: admin.patch(f"/admin/api/conversations/{assigned}", {"status": "closed"}),
            lambda: Api(p2, admin.token).patch(f"/admin/api/conversations/{assigned}", {"status": "closed"}),
        )
        release(1)
    assert [r.status_code for r in closes.results()] == [200, 200]
    assert assignee(admin, waiting) == ann["id"]
    events = admin.get("/api/v1/events", params={"action": "conversation.assigned"}).json()["events"]
    assert sorted(int(e["target"]["id"]) for e in events) == sorted([assigned, waiting])
    sock.close()
