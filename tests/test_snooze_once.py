"""Snooze waking exactly once across processes: three real servers on one PostgreSQL database (tests/cluster.py)
all tick; each due conversation is woken, audited and announced once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg

from tests.cluster import Cluster
from tests.pg_races import writes_held
from tests.support import Api, Sock, eventually, execute, login, query, staff_socket, visitor_session
from tests.test_background_once import pid_of_connection


def frames_until(sock: Sock, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 15) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []

    def seen(frame: dict[str, Any]) -> bool:
        frames.append(frame)
        return done(frames)

    sock.recv_through(seen, timeout)
    return frames


def woken(frames: list[dict[str, Any]]) -> Counter[int]:
    return Counter(
        f["conversation"]["id"]
        for f in frames
        if f["type"] == "conversation_updated" and f["conversation"]["status"] == "open"
    )


def test_due_snoozes_are_woken_once_by_one_of_three_processes(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster(3)
    token = login(cluster[0])["access_token"]
    admin = Api(cluster[0], token)
    widget_key = admin.get("/api/v1/tenant").json()["widget_key"]
    ids = []
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    for n in range(6):  # several at once: the processes' ticks overlap on a batch, not on a single row
        live = cluster[n % 3]
        session = visitor_session(live, widget_key)
        sent = httpx.post(
            f"{live.url}/webchat",
            json={"text": f"later {n}"},
            headers={"Authorization": f"Bearer {session['visitor_token']}"},
        )
        ids.append(int(sent.json()["conversation_id"]))
        snoozed = Api(cluster[(n + 1) % 3], token).patch(
            f"/admin/api/conversations/{ids[-1]}", {"status": "snoozed", "snoozed_until": until}
        )
        assert snoozed.json()["status"] == "snoozed", snoozed.text
    staff = [staff_socket(live, token) for live in cluster]
    marks = ", ".join("?" * len(ids))
    execute(
        cluster[0],
        f"UPDATE conversations SET snoozed_until = ? WHERE id IN ({marks})",
        "2020-01-01T00:00:00.000Z",
        *ids,
    )
    firsts = [frames_until(sock, lambda frames: len(woken(frames)) == 6) for sock in staff]
    # A second wake would have been committed and published before this marker reply: none came.
    marker = admin.post("/admin/api/send", {"conversation_id": ids[0], "text": "marker"})
    assert marker.status_code == 200
    for sock, first in zip(staff, firsts, strict=True):
        rest = frames_until(
            sock, lambda frames: any(f["type"] == "message" and f["message"]["text"] == "marker" for f in frames)
        )
        assert woken(first + rest) == Counter(ids)
    audited = query(
        cluster[1],
        f"SELECT target_id, count(*) FROM events WHERE action = 'conversation.woken' AND target_id IN ({marks})"
        " GROUP BY target_id",
        *[str(cid) for cid in ids],
    )
    assert sorted((int(target), count) for target, count in audited) == sorted((cid, 1) for cid in ids)


def processes_past_the_wake(probe: psycopg.Connection[Any], cluster: Cluster, since: datetime) -> int:
    """Server processes that committed a write since `since` (in this test, after the snoozes fell due, only
    a wake writes) or wait on a lock at the wake's audit insert."""
    rows = probe.execute(
        "SELECT client_port FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND ((query = 'COMMIT' AND query_start > %s)"
        " OR (wait_event_type = 'Lock' AND query LIKE 'INSERT INTO events%%'))",
        (since,),
    ).fetchall()
    return len({pid_of_connection(cluster, int(port)).url for (port,) in rows if port})


def test_every_process_reads_the_due_batch_while_the_first_wake_is_held_and_it_is_still_once(
    make_cluster: Callable[..., Cluster],
) -> None:
    """The race made to happen every run: the first wake is stopped at its audit insert (a SHARE lock on
    events), still holding its rows, until the other two processes have read the due batch too; only then
    does it commit. A wake that neither skips locked rows nor re-checks them wakes (and audits) twice, or
    never gets past the row locks here."""
    cluster = make_cluster(3)
    token = login(cluster[0])["access_token"]
    admin = Api(cluster[0], token)
    widget_key = admin.get("/api/v1/tenant").json()["widget_key"]
    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    ids = []
    for n in range(3):
        session = visitor_session(cluster[n], widget_key)
        sent = httpx.post(
            f"{cluster[n].url}/webchat",
            json={"text": f"race {n}"},
            headers={"Authorization": f"Bearer {session['visitor_token']}"},
        )
        ids.append(int(sent.json()["conversation_id"]))
        admin.patch(f"/admin/api/conversations/{ids[-1]}", {"status": "snoozed", "snoozed_until": until})
    marks = ", ".join("?" * len(ids))
    with writes_held(cluster.database_url, "events") as held:
        execute(
            cluster[0],
            f"UPDATE conversations SET snoozed_until = ? WHERE id IN ({marks})",
            "2020-01-01T00:00:00.000Z",
            *ids,
        )
        since = held.probe.execute("SELECT clock_timestamp()").fetchone()[0]  # type: ignore[index]
        held.wait_for(1)  # the first wake, stopped at its audit row with its rows locked
        # The other two have read the due batch meanwhile and finished their wake: with the rows skipped (and
        # re-checked) they commit having done nothing; a wake that did not would now wait on the row locks.
        eventually(lambda: processes_past_the_wake(held.probe, cluster, since) == 3, timeout=30)
        held.holder.commit()
    eventually(
        lambda: (
            query(
                cluster[0], f"SELECT count(*) FROM conversations WHERE snoozed_until IS NULL AND id IN ({marks})", *ids
            )
            == [(3,)]
        )
    )
    # Any second wake was held with the first and committed right after it: the marker comes later.
    marker = admin.post("/admin/api/send", {"conversation_id": ids[0], "text": "marker"})
    assert marker.status_code == 200
    audited = query(
        cluster[1],
        f"SELECT target_id, count(*) FROM events WHERE action = 'conversation.woken' AND target_id IN ({marks})"
        " GROUP BY target_id",
        *[str(cid) for cid in ids],
    )
    assert sorted((int(target), count) for target, count in audited) == sorted((cid, 1) for cid in ids)
