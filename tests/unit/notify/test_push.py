"""The "push" job handler against a loopback push service, and the VAPID key pair's life in the store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from handoff.crypto import SecretBox
from handoff.delivery.jobs import Fail, Job, Retry
from handoff.notify import vapid
from handoff.notify.push import alert_payload, send_push
from handoff.store import push as store
from handoff.store.database import configure
from tests.fakes import Reply
from tests.fakes.push_service import FakeBrowser, FakePushService
from tests.unit.helpers import add_tenant, add_user, app_context, run


@pytest.fixture
def push_service() -> Iterator[FakePushService]:
    fake = FakePushService().start()
    yield fake
    fake.stop()


def job(tenant_id: int, subscription_id: int, title: str = "Ada mentioned you", attempts: int = 1) -> Job:
    return Job(
        id=1,
        tenant_id=tenant_id,
        kind="push",
        payload={
            "subscription_id": subscription_id,
            **alert_payload(title, "Bob: look at this", "/admin-app/#/inbox/7"),
        },
        order_key=None,
        status="running",
        attempts=attempts,
        created_at="2026-12-01T00:00:00.000Z",
        give_up_at="2026-12-01T01:00:00.000Z",
        last_error=None,
        finished_at=None,
    )


def subscribe(conn: sqlite3.Connection, browser: FakeBrowser) -> tuple[int, int]:
    tenant = add_tenant(conn)
    user = add_user(conn, tenant)
    keys = browser.subscription()["keys"]
    saved = store.save(conn, tenant, user, browser.endpoint, keys["p256dh"], keys["auth"])
    return tenant, saved.id


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    configure(conn)
    return conn


def test_a_push_arrives_encrypted_for_the_browser_and_signed_with_the_stored_key(
    db_path: str, push_service: FakePushService
) -> None:
    browser = push_service.new_browser()
    box = SecretBox("unit-test-" + "k" * 32)
    with connect(db_path) as conn:
        keys = vapid.ensure(conn, box)
        tenant, sub_id = subscribe(conn, browser)

    async def go() -> None:
        async with app_context(db_path) as ctx:
            await send_push(ctx, job(tenant, sub_id))

    run(go())
    [push] = push_service.delivered
    assert push.payload == {"title": "Ada mentioned you", "body": "Bob: look at this", "url": "/admin-app/#/inbox/7"}
    assert push.vapid_key == keys.public_key
    assert push.claims["aud"] == push_service.url
    assert push.headers["ttl"] and push.headers["urgency"] == "high"
    assert push.headers["authorization"].startswith("vapid t=ey")
    assert push.headers["authorization"].endswith(f", k={keys.public_key}")
    with connect(db_path) as conn:
        assert store.get(conn, tenant, sub_id).last_success_at  # type: ignore[union-attr]


def test_gone_removes_the_subscription_and_5xx_or_429_retry_and_other_refusals_stop(
    db_path: str, push_service: FakePushService
) -> None:
    browser = push_service.new_browser()
    with connect(db_path) as conn:
        vapid.ensure(conn, SecretBox("unit-test-" + "k" * 32))
        tenant, sub_id = subscribe(conn, browser)

    async def attempt() -> Exception | None:
        async with app_context(db_path) as ctx:
            try:
                await send_push(ctx, job(tenant, sub_id))
            except (Retry, Fail) as exc:
                return exc
        return None

    push_service.script(Reply(503), Reply(429, None, {"Retry-After": "7"}), Reply(403))
    unavailable, limited, refused = run(attempt()), run(attempt()), run(attempt())
    assert isinstance(unavailable, Retry) and "503" in str(unavailable)
    assert isinstance(limited, Retry) and limited.after == 7
    assert isinstance(refused, Fail) and "403" in str(refused)
    assert browser.endpoint not in str(refused)  # a capability URL: only its host in errors

    push_service.unsubscribe(browser)
    assert run(attempt()) is None  # 410: done, and the row is gone
    with connect(db_path) as conn:
        assert store.get(conn, tenant, sub_id) is None
    assert run(attempt()) is None  # queued before the 410: nothing left to send, nothing sent
    assert len(push_service.pushes()) == 4


def test_the_key_pair_is_made_once_sealed_and_replaced_only_when_unreadable(db_path: str) -> None:
    box = SecretBox("unit-test-" + "k" * 32)
    with connect(db_path) as conn:
        first = vapid.ensure(conn, box)
        assert vapid.ensure(conn, box) == first
        stored = store.keys(conn)
        assert stored is not None and first.private_key not in stored.sealed_private_key
        assert first.private_key not in repr(first)
        tenant = add_tenant(conn)
        store.save(conn, tenant, add_user(conn, tenant), "https://push.example/x", "p", "a")

        other = vapid.ensure(conn, SecretBox("another-" + "k" * 32))  # JWT_SECRET changed
        assert other.public_key != first.public_key
        assert conn.execute("SELECT COUNT(*) FROM push_subscriptions").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM push_vapid").fetchone()[0] == 1


def test_the_payload_stays_small_and_opens_only_app_paths() -> None:
    payload = alert_payload("t" * 500, "b\n" * 5000, "https://evil.example/")
    assert len(payload["title"]) == 120 and len(payload["body"]) == 300
    assert payload["url"] == "/admin-app/"
    assert alert_payload("x", "y", "//evil.example/a")["url"] == "/admin-app/"
    assert vapid.origin("https://fcm.googleapis.com:443/fcm/send/abc") == "https://fcm.googleapis.com"
    assert vapid.origin("https://updates.push.services.mozilla.com/wpush/v2/x") == (
        "https://updates.push.services.mozilla.com"
    )


def test_a_member_keeps_their_newest_browsers_only(conn: sqlite3.Connection) -> None:
    tenant = add_tenant(conn)
    user, other = add_user(conn, tenant), add_user(conn, tenant)
    store.save(conn, tenant, other, "https://push.example/other", "p", "a")
    for n in range(store.MAX_PER_USER + 2):
        store.save(conn, tenant, user, f"https://push.example/{n}", "p", "a")
    kept = [s.endpoint for s in store.of_user(conn, tenant, user)]
    assert kept == [f"https://push.example/{n}" for n in range(2, store.MAX_PER_USER + 2)]
    assert [s.endpoint for s in store.of_user(conn, tenant, other)] == ["https://push.example/other"]


def test_a_subscription_no_retry_can_fix_stops_the_job(db_path: str) -> None:
    with connect(db_path) as conn:
        vapid.ensure(conn, SecretBox("unit-test-" + "k" * 32))
        tenant = add_tenant(conn)
        broken = store.save(conn, tenant, add_user(conn, tenant), "https://push.example/x", "not-a-key", "YXV0aA")

    async def go() -> None:
        async with app_context(db_path) as ctx:
            await send_push(ctx, job(tenant, broken.id))

    with pytest.raises(Fail, match="cannot prepare the push"):
        run(go())
