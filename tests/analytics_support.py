"""The analytics tests' hand-built history (tests/test_analytics.py): every conversation, message and
follow-up with the figures they must give, seeded straight into the server's database before it starts, and
the small helpers the tests read figures with."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import migrate_schema
from handoff.security import hash_password
from handoff.store.database import iso, parse_iso
from tests.support import Api, LiveServer, database, login

NY = "America/New_York"
RANGE = {"from": "2026-03-07", "to": "2026-03-09", "tz": NY}
ADMIN, ALICE, BOB, CAROL, DAVE = 1, 2, 3, 4, 5
PASSWORD = "analytics-pw-123"
BOB_NAME = "=Bob+1"  # a formula-looking name: the CSV must neutralise it


# id, tenant, channel, started_at, first_response_seconds, responder, resolution_seconds, customer, staff,
# escalated, missed, assignee
CONVERSATIONS: list[tuple[Any, ...]] = [
    (1, 1, "webchat", "2026-03-07T04:59:59.999Z", 10.001, ALICE, None, 1, 1, 1, 0, ALICE),  # 1 ms before range
    (2, 1, "webchat", "2026-03-07T05:00:00.000Z", 30.0, ALICE, 600.0, 2, 1, 0, 0, ALICE),  # local midnight
    (3, 1, "sms", "2026-03-07T15:30:00.000Z", 60.0, BOB, 1200.0, 1, 2, 0, 0, BOB),
    (4, 1, "messenger", "2026-03-08T06:59:00.000Z", 600.0, ALICE, None, 1, 1, 1, 0, ALICE),  # 01:59 EST
    (5, 1, "webchat", "2026-03-08T07:00:00.000Z", None, None, 300.0, 1, 0, 0, 1, None),  # 03:00 EDT; missed
    (6, 1, "sms", "2026-03-09T03:59:59.999Z", 120.25, BOB, 900.0, 1, 2, 0, 0, BOB),  # 23:59:59.999 EDT
    (7, 1, "webchat", "2026-03-09T04:00:00.000Z", None, None, None, 2, 0, 0, 0, None),  # local midnight (EDT)
    (8, 1, "webchat", "2026-03-10T03:59:59.999Z", 45.0, ALICE, None, 1, 1, 0, 0, ALICE),  # last ms of range
    (9, 1, "webchat", "2026-03-10T04:00:00.000Z", 60.0, BOB, None, 1, 1, 0, 0, BOB),  # range end: excluded
    (100, 2, "webchat", "2026-03-08T12:00:00.000Z", 20.0, CAROL, None, 1, 1, 1, 0, CAROL),  # other tenant
]
# conversation, sender, author, created_at
MESSAGES: list[tuple[Any, ...]] = [
    (1, "visitor", None, "2026-03-07T04:59:59.999Z"),
    (1, "staff", ALICE, "2026-03-07T05:00:10.000Z"),  # in range though its conversation is not
    (2, "visitor", None, "2026-03-07T05:00:00.000Z"),
    (2, "staff", ALICE, "2026-03-07T05:00:30.000Z"),
    (2, "visitor", None, "2026-03-07T05:01:00.000Z"),
    (2, "system", None, "2026-03-07T05:10:00.000Z"),
    (3, "visitor", None, "2026-03-07T15:30:00.000Z"),
    (3, "staff", BOB, "2026-03-07T15:31:00.000Z"),
    (3, "staff", BOB, "2026-03-07T15:35:00.000Z"),
    (3, "system", None, "2026-03-07T15:50:00.000Z"),
    (4, "visitor", None, "2026-03-08T06:59:00.000Z"),
    (4, "system", None, "2026-03-08T07:04:00.000Z"),
    (4, "staff", ALICE, "2026-03-08T07:09:00.000Z"),
    (5, "visitor", None, "2026-03-08T07:00:00.000Z"),
    (5, "system", None, "2026-03-08T07:05:00.000Z"),
    (6, "visitor", None, "2026-03-09T03:59:59.999Z"),
    (6, "staff", BOB, "2026-03-09T04:02:00.249Z"),
    (6, "staff", ALICE, "2026-03-09T04:05:00.000Z"),
    (6, "system", None, "2026-03-09T04:14:59.999Z"),
    (7, "visitor", None, "2026-03-09T04:00:00.000Z"),
    (7, "visitor", None, "2026-03-09T04:00:05.000Z"),
    (8, "visitor", None, "2026-03-10T03:59:59.999Z"),
    (8, "staff", ALICE, "2026-03-10T04:00:44.999Z"),  # after the range: not counted
    (9, "visitor", None, "2026-03-10T04:00:00.000Z"),
    (9, "staff", BOB, "2026-03-10T04:01:00.000Z"),
    (100, "visitor", None, "2026-03-08T12:00:00.000Z"),
    (100, "staff", CAROL, "2026-03-08T12:00:20.000Z"),
]
# tenant, created_at, viewed_at
FOLLOWUPS: list[tuple[Any, ...]] = [
    (1, "2026-03-07T04:00:00.000Z", "2026-03-07T04:05:00.000Z"),  # before the range
    (1, "2026-03-07T06:00:00.000Z", "2026-03-07T06:10:00.000Z"),  # viewed after 600 s
    (1, "2026-03-08T08:00:00.000Z", "2026-03-08T08:20:00.000Z"),  # viewed after 1200 s
    (1, "2026-03-09T10:00:00.000Z", None),
    (2, "2026-03-08T09:00:00.000Z", None),
]


# Seeded with explicit ids; on PostgreSQL each identity must then move past them (as a copy from SQLite does).
SEEDED_WITH_IDS = ("tenants", "users", "contacts", "conversations")


def build_database(server: LiveServer) -> None:
    """The whole history, in one transaction of the test's own, on the server's database before it starts:
    its SQLite file, or its PostgreSQL database through the store's adapter (the same SQL on both)."""
    migrate_schema.migrate(server.database_url or server.db_path)
    with database(server) as conn:
        seed(conn, server.admin_email, server.admin_password)
        if server.database_url:
            for table in SEEDED_WITH_IDS:
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def seed(conn: Any, admin_email: str, admin_password: str) -> None:
    now = "2026-03-01T00:00:00.000Z"
    tenants = [(1, "Default", "wk_one", {"timezone": NY}), (2, "Other", "wk_two", {})]
    for tenant_id, name, key, settings in tenants:
        conn.execute(
            "INSERT INTO tenants (id, name, widget_key, settings, created_at) VALUES (?, ?, ?, ?, ?)",
            (tenant_id, name, key, json.dumps(settings), now),
        )
    fast_hash = hash_password(PASSWORD, rounds=4)
    users = [
        (ADMIN, 1, admin_email, "Admin", hash_password(admin_password, rounds=4), "admin"),
        (ALICE, 1, "alice@example.com", "Alice", fast_hash, "staff"),
        (BOB, 1, "bob@example.com", BOB_NAME, fast_hash, "staff"),
        (CAROL, 2, "carol@example.com", "Carol", fast_hash, "admin"),
        (DAVE, 1, "dave@example.com", "Dave", fast_hash, "staff"),  # active only outside the range
    ]
    for user in users:
        conn.execute(
            "INSERT INTO users (id, tenant_id, email, name, password_hash, role, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*user, now),
        )
    for (
        cid,
        tenant,
        channel,
        started,
        first,
        responder,
        resolution,
        cust,
        staff,
        esc,
        missed,
        assignee,
    ) in CONVERSATIONS:
        conn.execute(
            "INSERT INTO contacts (id, tenant_id, channel, external_id, name, created_at, last_seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (cid, tenant, channel, f"contact-{cid}", f"Customer {cid}", started, started),
        )
        resolved_at = closed = None
        if resolution is not None:
            resolved_at = closed = iso(parse_iso(started) + timedelta(seconds=resolution))
        first_at = None if first is None else started  # the exact time is not reported
        conn.execute(
            "INSERT INTO conversations (id, tenant_id, contact_id, channel, status, assignee_id, escalated,"
            " created_at, last_message_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cid, tenant, cid, channel, "closed" if closed else "open", assignee, esc, started, started, closed),
        )
        conn.execute(
            "INSERT INTO conversation_metrics (conversation_id, tenant_id, channel, started_at, first_response_at,"
            " first_response_seconds, first_responder_id, resolved_at, resolution_seconds, customer_messages,"
            " staff_messages, escalated, missed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cid,
                tenant,
                channel,
                started,
                first_at,
                first,
                responder,
                resolved_at,
                resolution,
                cust,
                staff,
                esc,
                missed,
            ),
        )
    conn.execute(  # Dave answered an old conversation long before the range
        "INSERT INTO messages (tenant_id, conversation_id, channel, sender, author_id, text, created_at)"
        " VALUES (1, 1, 'webchat', 'staff', ?, 'old', '2026-02-01T10:00:00.000Z')",
        (DAVE,),
    )
    channel_of = {c[0]: (c[1], c[2]) for c in CONVERSATIONS}
    for cid, sender, author, created in MESSAGES:
        tenant, channel = channel_of[cid]
        conn.execute(
            "INSERT INTO messages (tenant_id, conversation_id, channel, sender, author_id, text, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (tenant, cid, channel, sender, author, f"{sender} says hi", created),
        )
    for tenant, created, viewed in FOLLOWUPS:
        conn.execute(
            "INSERT INTO followups (tenant_id, name, email, message, created_at, viewed_at) VALUES (?, ?, ?, ?, ?, ?)",
            (tenant, "Pat", "pat@example.com", "call me", created, viewed),
        )


def api_for(server: LiveServer, email: str | None = None) -> Api:
    return Api(server, login(server, email, PASSWORD if email else None)["access_token"])


def summary(api: Api, **params: str) -> dict[str, Any]:
    response = api.get("/api/v1/analytics/summary", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def day(iso: str, webchat: int = 0, sms: int = 0, messenger: int = 0) -> dict[str, Any]:
    return {"date": iso, "webchat": webchat, "sms": sms, "messenger": messenger, "total": webchat + sms + messenger}


def hours(counts: dict[int, int]) -> list[dict[str, int]]:
    return [{"hour": h, "count": counts.get(h, 0)} for h in range(24)]
