"""Snooze waking exactly once across processes: three real servers on one PostgreSQL database (tests/cluster.py)
all tick; each due conversation is woken, audited and announced once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.cluster import Cluster
from tests.support import Api, Sock, execute, login, query, staff_socket, visitor_session


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
