"""Analytics against the real server on a hand-built database whose every figure is known in advance.

The data straddles the 2026 US spring-forward (Sunday 2026-03-08, 02:00 EST -> 03:00 EDT, i.e. 07:00Z):
the main range is 2026-03-07..2026-03-09 in America/New_York = [2026-03-07T05:00Z, 2026-03-10T04:00Z).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.analytics_support import (
    ALICE,
    BOB,
    BOB_NAME,
    CAROL,
    NY,
    RANGE,
    api_for,
    build_database,
    day,
    hours,
    summary,
)
from tests.conftest import BACKENDS
from tests.support import LiveServer, make_tenant, visitor_session

pytestmark = BACKENDS


@pytest.fixture(scope="module")
def live(make_server: Callable[..., LiveServer], tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # The data is months old: keep the idle timer from closing the open conversations under our feet.
    server = make_server(tmp_path_factory.mktemp("analytics"), AUTO_CLOSE_MINUTES="100000000")
    build_database(server)
    server.start()
    yield server
    server.stop()


def test_summary_every_field_across_dst_in_new_york(live: LiveServer) -> None:
    alice = api_for(live, "alice@example.com")  # any staff member may read analytics, not only admins
    assert summary(alice, **RANGE) == {
        "from": "2026-03-07",
        "to": "2026-03-09",
        "timezone": NY,
        "totals": {"conversations": 7, "messages": 16, "closed": 4, "missed": 1, "escalated": 1, "followups": 3},
        "by_channel": {"webchat": 4, "sms": 2, "messenger": 1},
        # 03-08 has 23 local hours; conversation 5 at 07:00Z is 03:00 EDT (a fixed -5 offset would say 02:00).
        "by_day": [day("2026-03-07", 1, 1), day("2026-03-08", 1, 1, 1), day("2026-03-09", 2)],
        "by_hour": hours({0: 2, 1: 1, 3: 1, 10: 1, 23: 2}),
        # odd count: [30, 45, 60, 120.25, 600] -> median 60, p90 = 5th of 5 (ceil 4.5)
        "first_response_seconds": {"median": 60.0, "p90": 600.0, "count": 5},
        # even count: [300, 600, 900, 1200] -> median (600 + 900) / 2, p90 = 4th of 4 (ceil 3.6)
        "resolution_seconds": {"median": 750.0, "p90": 1200.0, "count": 4},
        "followups": {"count": 3, "viewed": 2, "median_seconds_to_viewed": 900.0},
        "agents": [
            # Alice: messages in conversations 1, 2, 4, 6 (her reply in 8 falls after the range);
            # first responder of 2, 4, 8 -> [30, 45, 600]
            {
                "user_id": ALICE,
                "name": "Alice",
                "conversations": 4,
                "messages": 4,
                "median_first_response_seconds": 45.0,
            },
            # Bob: two messages in 3, one in 6; first responder of 3 and 6 -> (60 + 120.25) / 2
            {
                "user_id": BOB,
                "name": BOB_NAME,
                "conversations": 2,
                "messages": 3,
                "median_first_response_seconds": 90.125,
            },
        ],
        # no conversation here was surveyed (tests/test_csat.py has the ratings)
        "csat": {
            "responses": 0,
            "average": None,
            "by_agent": [],
            "by_channel": {c: {"responses": 0, "average": None} for c in ("webchat", "sms", "messenger")},
        },
    }


def test_single_dst_day_and_defaults_from_tenant_timezone(live: LiveServer) -> None:
    admin = api_for(live)
    spring = summary(admin, **{"from": "2026-03-08", "to": "2026-03-08"})  # tz defaults to the tenant's
    assert spring["timezone"] == NY
    assert spring["by_day"] == [day("2026-03-08", 1, 1, 1)]
    assert spring["totals"]["conversations"] == 3 and spring["totals"]["followups"] == 1
    assert spring["by_hour"] == hours({1: 1, 3: 1, 23: 1})
    default = summary(admin)
    today = datetime.now(ZoneInfo(NY)).date()
    assert (default["from"], default["to"]) == ((today - timedelta(days=29)).isoformat(), today.isoformat())
    assert [d["date"] for d in default["by_day"]] == [(today - timedelta(days=29 - i)).isoformat() for i in range(30)]
    assert default["totals"] == {
        k: 0 for k in ("conversations", "messages", "closed", "missed", "escalated", "followups")
    }
    assert default["first_response_seconds"] == {"median": None, "p90": None, "count": 0}
    assert default["followups"] == {"count": 0, "viewed": 0, "median_seconds_to_viewed": None}
    assert default["agents"] == []


def test_same_days_in_utc_and_in_a_half_hour_zone(live: LiveServer) -> None:
    admin = api_for(live)
    utc = summary(admin, **{"from": "2026-03-07", "to": "2026-03-09", "tz": "UTC"})
    assert utc["totals"]["conversations"] == 7  # conversations 1..7: 1 is in, 8 (03:59Z on the 10th) is out
    assert utc["by_day"] == [day("2026-03-07", 2, 1), day("2026-03-08", 1, 0, 1), day("2026-03-09", 1, 1)]
    # Kolkata is UTC+5:30: conversation 1 (04:59:59.999Z) is 10:29 local, 2 is 10:30, 3 (15:30Z) is 21:00.
    india = summary(admin, **{"from": "2026-03-07", "to": "2026-03-07", "tz": "Asia/Kolkata"})
    assert india["by_hour"] == hours({10: 2, 21: 1})
    assert india["by_day"] == [day("2026-03-07", 2, 1)]


def test_csv_export(live: LiveServer) -> None:
    admin = api_for(live)
    response = admin.get("/api/v1/analytics/export.csv", params=RANGE)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        response.headers["content-disposition"] == 'attachment; filename="handoff-analytics-2026-03-07-2026-03-09.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    bob = "'" + BOB_NAME
    assert rows == [
        [
            "conversation_id",
            "channel",
            "started_at",
            "first_response_seconds",
            "resolution_seconds",
            "customer_messages",
            "staff_messages",
            "escalated",
            "missed",
            "assignee",
            "first_responder",
            "rating",
        ],
        ["2", "webchat", "2026-03-07T05:00:00.000Z", "30.0", "600.0", "2", "1", "0", "0", "Alice", "Alice", ""],
        ["3", "sms", "2026-03-07T15:30:00.000Z", "60.0", "1200.0", "1", "2", "0", "0", bob, bob, ""],
        ["4", "messenger", "2026-03-08T06:59:00.000Z", "600.0", "", "1", "1", "1", "0", "Alice", "Alice", ""],
        ["5", "webchat", "2026-03-08T07:00:00.000Z", "", "300.0", "1", "0", "0", "1", "", "", ""],
        ["6", "sms", "2026-03-09T03:59:59.999Z", "120.25", "900.0", "1", "2", "0", "0", bob, bob, ""],
        ["7", "webchat", "2026-03-09T04:00:00.000Z", "", "", "2", "0", "0", "0", "", "", ""],
        ["8", "webchat", "2026-03-10T03:59:59.999Z", "45.0", "", "1", "1", "0", "0", "Alice", "Alice", ""],
    ]
    other = api_for(live, "carol@example.com").get("/api/v1/analytics/export.csv", params=RANGE)
    assert [r[0] for r in csv.reader(io.StringIO(other.text))] == ["conversation_id", "100"]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-03-09", "to": "2026-03-07"},
        {"from": "2025-01-01", "to": "2026-01-02"},  # 367 days
        {"from": "2026-02-30", "to": "2026-03-07"},
        {"from": "03/07/2026", "to": "2026-03-07"},
        {"tz": "Mars/Olympus"},
        {"tz": "../../etc/passwd"},
    ],
)
def test_bad_ranges_are_422(live: LiveServer, params: dict[str, str]) -> None:
    admin = api_for(live)
    for path in ("summary", "export.csv"):
        response = admin.get(f"/api/v1/analytics/{path}", params=params)
        assert response.status_code == 422, response.text
        assert set(response.json()) == {"detail"} and isinstance(response.json()["detail"], str)


def test_longest_range_allowed_and_auth_required(live: LiveServer) -> None:
    assert summary(api_for(live), **{"from": "2025-01-01", "to": "2026-01-01"})["by_day"][-1]["date"] == "2026-01-01"
    for path in ("summary", "export.csv"):
        response = httpx.get(f"{live.url}/api/v1/analytics/{path}", params=RANGE)
        assert response.status_code == 401 and "detail" in response.json()


def test_other_tenants_see_only_their_own_figures(live: LiveServer) -> None:
    carol = summary(api_for(live, "carol@example.com"), **RANGE)
    assert carol["totals"] == {
        "conversations": 1,
        "messages": 2,
        "closed": 0,
        "missed": 0,
        "escalated": 1,
        "followups": 1,
    }
    assert carol["by_channel"] == {"webchat": 1, "sms": 0, "messenger": 0}
    assert carol["first_response_seconds"] == {"median": 20.0, "p90": 20.0, "count": 1}
    assert carol["agents"] == [
        {"user_id": CAROL, "name": "Carol", "conversations": 1, "messages": 1, "median_first_response_seconds": 20.0}
    ]
    fresh, _ = make_tenant(live)
    empty = summary(fresh, **RANGE)
    assert empty["totals"] == dict.fromkeys(
        ("conversations", "messages", "closed", "missed", "escalated", "followups"), 0
    )
    assert empty["by_channel"] == {"webchat": 0, "sms": 0, "messenger": 0}
    assert [d["total"] for d in empty["by_day"]] == [0, 0, 0]
    assert sum(h["count"] for h in empty["by_hour"]) == 0
    assert empty["resolution_seconds"] == {"median": None, "p90": None, "count": 0}
    assert empty["agents"] == []


def test_real_flow_is_counted(live: LiveServer) -> None:
    admin, key = make_tenant(live)  # its time zone is UTC; the default range (last 30 days) includes today
    me = admin.get("/api/v1/auth/me").json()

    def visitor_says(text: str) -> int:
        session = visitor_session(live, key)
        sent = httpx.post(
            f"{live.url}/webchat", json={"text": text}, headers={"Authorization": f"Bearer {session['visitor_token']}"}
        )
        assert sent.status_code == 200, sent.text
        return int(sent.json()["conversation_id"])

    def close(conversation_id: int) -> None:
        closed = admin.patch(f"/admin/api/conversations/{conversation_id}", {"status": "closed"})
        assert closed.status_code == 200, closed.text

    answered = visitor_says("Where is my order?")
    assert admin.post("/admin/api/send", {"conversation_id": answered, "text": "On its way"}).status_code == 200
    close(answered)
    figures = summary(admin)
    assert figures["totals"] == {
        "conversations": 1,
        "messages": 2,
        "closed": 1,
        "missed": 0,
        "escalated": 0,
        "followups": 0,
    }
    assert figures["by_channel"] == {"webchat": 1, "sms": 0, "messenger": 0}
    assert figures["first_response_seconds"]["count"] == 1 and figures["resolution_seconds"]["count"] == 1
    assert [(a["user_id"], a["conversations"], a["messages"]) for a in figures["agents"]] == [(me["id"], 1, 1)]

    close(visitor_says("Anyone there?"))  # closed with no staff reply: missed
    figures = summary(admin)
    assert figures["totals"] == {
        "conversations": 2,
        "messages": 3,
        "closed": 2,
        "missed": 1,
        "escalated": 0,
        "followups": 0,
    }
    assert figures["first_response_seconds"]["count"] == 1 and figures["resolution_seconds"]["count"] == 2


def test_export_counts_messages_of_open_conversations_live_and_keeps_them_at_close(server: LiveServer) -> None:
    admin, key = make_tenant(server)
    session = visitor_session(server, key)
    auth = {"Authorization": f"Bearer {session['visitor_token']}"}
    for text in ("hello", "anyone there?"):
        sent = httpx.post(f"{server.url}/webchat", json={"text": text}, headers=auth)
        assert sent.status_code == 200, sent.text
    conversation_id = sent.json()["conversation_id"]
    path = f"/admin/api/conversations/{conversation_id}"
    assert admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "Yes, hi!"}).status_code == 200
    today = datetime.now(ZoneInfo("UTC")).date().isoformat()
    params = {"from": today, "to": today, "tz": "UTC"}

    def counts() -> list[str]:
        rows = list(csv.reader(io.StringIO(admin.get("/api/v1/analytics/export.csv", params=params).text)))
        assert len(rows) == 2 and rows[1][0] == str(conversation_id)
        return rows[1][5:7]

    assert counts() == ["2", "1"]  # open: counted from the messages as they are
    assert admin.patch(path, {"status": "closed"}).status_code == 200
    assert counts() == ["2", "1"]  # closed: recorded in the conversation's metrics
