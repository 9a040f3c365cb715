"""Web Push on two server processes sharing one PostgreSQL database and Redis: both serve the one VAPID key,
a member whose tab is open on the other process is not pushed, and a member with no tab anywhere gets each
alert once, whichever process runs the job."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from handoff.notify.alerts import KIND as ALERT_KIND
from tests.cluster import Cluster
from tests.fakes.push_service import FakePushService
from tests.push_support import mention, open_conversation
from tests.support import Api, add_user, eventually, make_tenant, query, staff_socket


@pytest.fixture
def push_service() -> Iterator[FakePushService]:
    fake = FakePushService().start()
    yield fake
    fake.stop()


def test_presence_on_any_process_decides_and_each_alert_is_pushed_once(
    make_cluster: Callable[..., Cluster], push_service: FakePushService
) -> None:
    cluster = make_cluster(2, PUSH_ALLOW_HTTP="1")
    p1, p2 = cluster[0], cluster[1]
    keys = {httpx.get(f"{p.url}/api/v1/push/key").json()["public_key"] for p in (p1, p2)}
    assert len(keys) == 1 and query(p1, "SELECT COUNT(*) FROM push_vapid") == [(1,)]

    admin, widget_key = make_tenant(p1)
    cleo, cleo_user = add_user(admin, name="Cleo")
    browser = push_service.new_browser()
    assert Api(p2, cleo.token).post("/api/v1/push/subscriptions", browser.subscription()).status_code == 201
    conversation_id = open_conversation(p1, admin, widget_key)

    # Cleo's tab is open on process 2: a mention made on process 1 shows there and queues no push.
    sock = staff_socket(p2, cleo.token or "")
    eventually(lambda: any(m["id"] == cleo_user["id"] and m["online"] for m in admin.get("/api/v1/team").json()))
    mention(admin, conversation_id, cleo_user["id"], "while you are here")
    sock.recv_until(lambda f: f["type"] == "mention")
    # The alert job decides who is online when it runs: wait for it to have run before the tab closes.
    eventually(
        lambda: query(p1, f"SELECT COUNT(*) FROM jobs WHERE kind = '{ALERT_KIND}' AND status = 'done'") == [(1,)]
    )
    assert query(p1, "SELECT COUNT(*) FROM jobs WHERE kind = 'push'") == [(0,)]

    # Tab closed everywhere: the next mentions are pushed, each exactly once. (Three conversations: alerts
    # about one conversation reach a member at most once in 10 minutes.)
    sock.close()
    eventually(lambda: not any(m["id"] == cleo_user["id"] and m["online"] for m in admin.get("/api/v1/team").json()))
    for n in range(3):
        mention(admin, open_conversation(p1, admin, widget_key), cleo_user["id"], f"alert {n}")
    eventually(lambda: query(p1, "SELECT COUNT(*) FROM jobs WHERE kind = 'push' AND status = 'done'") == [(3,)], 30)
    bodies = sorted(p.payload["body"] for p in push_service.delivered)
    assert bodies == ["alert 0", "alert 1", "alert 2"]
    assert {p.vapid_key for p in push_service.delivered} == keys
