"""Background work exactly once across processes: three real servers on one PostgreSQL database and one
Redis prefix (tests/cluster.py) escalate each conversation once and send each SMS reply once, in order per
conversation, and a process killed with kill -9 mid-send is taken over by another after its lease."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from handoff.conversations.timers import ESCALATED_TEXT
from handoff.store.database import parse_iso
from tests.cluster import Cluster
from tests.fakes.twilio_api import FakeTwilio, server_error
from tests.sms_support import PUBLIC, SmsShop, open_conversation, sms_shop
from tests.support import (
    Api,
    LiveServer,
    Sock,
    eventually,
    login,
    message_row,
    query,
    staff_socket,
    status_is,
    visitor_session,
    visitor_socket,
)


@pytest.fixture(autouse=True)
def _fresh_fake(twilio: FakeTwilio) -> None:
    twilio.reset()


def sms_cluster(make_cluster: Callable[..., Cluster], twilio: FakeTwilio, **env: str) -> tuple[Cluster, SmsShop]:
    cluster = make_cluster(
        3,
        TWILIO_API_BASE=twilio.url,
        PUBLIC_BASE_URL=PUBLIC,
        OUTBOX_BASE_DELAY_SECONDS="0.05",
        OUTBOX_MAX_DELAY_SECONDS="0.5",
        **env,
    )
    return cluster, sms_shop(cluster[0], twilio)


def frames_until(sock: Sock, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 15) -> list[dict[str, Any]]:
    """Every frame up to the one after which `done(frames so far)` holds."""
    frames: list[dict[str, Any]] = []

    def seen(frame: dict[str, Any]) -> bool:
        frames.append(frame)
        return done(frames)

    sock.recv_through(seen, timeout)
    return frames


def texts(frames: list[dict[str, Any]]) -> list[str]:
    return [f["message"]["text"] for f in frames if f["type"] == "message"]


def test_an_overdue_conversation_is_escalated_once_by_one_of_three_processes(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster(3, ESCALATE_AFTER_SECONDS="1", AUTO_CLOSE_MINUTES="10")
    token = login(cluster[0])["access_token"]
    staff = [staff_socket(live, token) for live in cluster]
    widget_key = Api(cluster[0], token).get("/api/v1/tenant").json()["widget_key"]
    visitors = []
    for n in range(6):  # several at once: the processes' ticks overlap on a batch, not on a single row
        live = cluster[n % 3]
        sock = visitor_socket(live, visitor_session(live, widget_key))
        sock.send({"type": "message", "text": f"anyone there? {n}", "client_id": f"wait-{n}"})
        sock.recv_until(lambda f: f["type"] == "ack")
        visitors.append(sock)

    def all_escalated(frames: list[dict[str, Any]]) -> bool:
        return len({f["conversation"]["id"] for f in frames if f["type"] == "escalation"}) == 6

    before = [frames_until(sock, all_escalated) for sock in staff]
    conversation_of = {
        f["message"]["text"]: f["conversation"]["id"]
        for f in before[0]
        if f["type"] == "message" and f["message"]["sender"] == "visitor"
    }
    for n in range(6):  # each answered through another process than the one its visitor is on
        answer = Api(cluster[(n + 1) % 3], token).post(
            "/admin/api/send", {"conversation_id": conversation_of[f"anyone there? {n}"], "text": f"here {n}"}
        )
        assert answer.status_code == 200, answer.text

    # Any second escalation would have been committed, and published, before these replies (its tick read the
    # row while the first one held it): each socket's frames up to the last reply show exactly one.
    replies = {f"here {n}" for n in range(6)}
    for sock, first in zip(staff, before, strict=True):
        frames = first + frames_until(sock, lambda frames: replies <= set(texts(frames)))
        escalations = Counter(f["conversation"]["id"] for f in frames if f["type"] == "escalation")
        assert escalations == Counter(conversation_of.values())
    for n, sock in enumerate(visitors):
        frames = frames_until(sock, lambda frames, n=n: f"here {n}" in texts(frames))
        assert texts(frames).count(ESCALATED_TEXT) == 1
        assert len([f for f in frames if f["type"] == "conversation" and f["conversation"]["escalated"]]) == 1

    ids = tuple(conversation_of.values())
    marks = ", ".join("?" * len(ids))
    system_messages = query(
        cluster[1],
        f"SELECT conversation_id, count(*) FROM messages WHERE sender = 'system' AND text = ?"
        f" AND conversation_id IN ({marks}) GROUP BY conversation_id",
        ESCALATED_TEXT,
        *ids,
    )
    assert sorted(system_messages) == sorted((cid, 1) for cid in ids)
    audited = query(
        cluster[2],
        f"SELECT target_id, count(*) FROM events WHERE action = 'conversation.escalated' AND target_id IN ({marks})"
        " GROUP BY target_id",
        *[str(cid) for cid in ids],
    )
    assert sorted((int(target), count) for target, count in audited) == sorted((cid, 1) for cid in ids)


def test_a_reply_is_sent_once_while_every_process_dispatches(
    make_cluster: Callable[..., Cluster], twilio: FakeTwilio
) -> None:
    cluster, shop = sms_cluster(make_cluster, twilio)
    conversations = [open_conversation(shop)[1] for _ in range(3)]
    twilio.hold(1)
    held = shop.reply(conversations[0], "held at Twilio").json()["message_id"]
    twilio.wait_held(1)
    # The other two processes queue replies of their own, so each dispatches and reads every conversation's
    # head, the held row (due since before theirs) included: it is leased, so neither sends it.
    others = []
    for live, conversation_id, text in zip(cluster.servers[1:], conversations[1:], ("second", "third"), strict=True):
        answer = Api(live, shop.admin.token).post("/admin/api/send", {"conversation_id": conversation_id, "text": text})
        others.append(answer.json()["message_id"])
    for message_id in others:
        eventually(status_is(cluster[0], message_id, "sent"))
    assert [r.form["Body"] for r in shop.requests(twilio)].count("held at Twilio") == 1

    twilio.release()
    eventually(status_is(cluster[0], held, "sent"))
    assert sorted(r.form["Body"] for r in shop.requests(twilio)) == ["held at Twilio", "second", "third"]
    assert query(cluster[0], "SELECT state, attempts FROM outbox WHERE message_id = ?", held) == [("done", 1)]


def test_a_burst_of_replies_is_sent_once_each_and_in_order_per_conversation(
    make_cluster: Callable[..., Cluster], twilio: FakeTwilio
) -> None:
    cluster, shop = sms_cluster(make_cluster, twilio)
    apis = [Api(live, shop.admin.token) for live in cluster]
    conversations = [open_conversation(shop)[1] for _ in range(4)]
    twilio.delay = 0.02  # sends overlap across processes
    twilio.script(server_error(), server_error(), server_error())  # and a few are retried

    def burst(n: int) -> list[int]:
        """Five replies in one conversation, one after another, each through the next process."""
        sent = []
        for k in range(5):
            answer = apis[(n + k) % 3].post(
                "/admin/api/send", {"conversation_id": conversations[n], "text": f"{n}:{k}"}
            )
            assert answer.status_code == 200, answer.text
            sent.append(answer.json()["message_id"])
        return sent

    with ThreadPoolExecutor(max_workers=4) as pool:
        message_ids = [mid for batch in pool.map(burst, range(4)) for mid in batch]
    for message_id in message_ids:
        eventually(status_is(cluster[0], message_id, "sent"), timeout=30)

    accepted = [r.form["Body"] for r in shop.requests(twilio) if r.reply_status == 201]  # in arrival order
    assert Counter(accepted) == Counter(f"{n}:{k}" for n in range(4) for k in range(5))  # each once
    for n in range(4):
        assert [body for body in accepted if body.startswith(f"{n}:")] == [f"{n}:{k}" for k in range(5)]
    assert len(shop.requests(twilio)) == 20 + 3  # nothing but the three retries besides


def pid_of_connection(cluster: Cluster, client_port: int) -> LiveServer:
    """The server process whose TCP socket has this local port (from /proc: which fd holds its inode)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == client_port:
                    inodes.add(f"socket:[{fields[9]}]")
    for live in cluster.servers:
        assert live.process is not None
        fds = f"/proc/{live.process.pid}/fd"
        for fd in os.listdir(fds):
            try:
                if os.readlink(f"{fds}/{fd}") in inodes:
                    return live
            except OSError:
                continue  # closed meanwhile
    raise AssertionError(f"no server process holds local port {client_port}")


def test_a_send_cut_off_by_kill_9_is_taken_over_after_its_lease_and_recorded_once(
    make_cluster: Callable[..., Cluster], twilio: FakeTwilio
) -> None:
    cluster, shop = sms_cluster(make_cluster, twilio, OUTBOX_LEASE_SECONDS="3")
    conversation_id = open_conversation(shop)[1]
    twilio.hold(1)
    message_id = shop.reply(conversation_id, "are you still there?").json()["message_id"]
    ((_, port),) = twilio.wait_held(1)
    holder = pid_of_connection(cluster, port)
    survivor = next(live for live in cluster.servers if live is not holder)
    ((attempts, leased_until),) = query(
        survivor, "SELECT attempts, leased_until FROM outbox WHERE message_id = ?", message_id
    )
    assert attempts == 1
    lease_left = (parse_iso(leased_until) - datetime.now(UTC)).total_seconds()
    holder.kill()
    killed_at = time.monotonic()
    # Twilio received the request: it creates the message although nobody is left to read the answer.
    twilio.release()

    eventually(status_is(survivor, message_id, "sent"), timeout=30)
    sends = shop.requests(twilio)
    assert [(r.form["Body"], r.reply_status) for r in sends] == [("are you still there?", 201)] * 2
    assert sends[1].at - killed_at >= lease_left - 0.05  # taken over once the lease ended, not before
    # Delivered to the platform twice (at least once), recorded once: the takeover's outcome alone.
    assert message_row(survivor, message_id)["provider_id"] == sends[1].reply_body["sid"]
    assert query(survivor, "SELECT count(*) FROM messages WHERE provider_id = ?", sends[0].reply_body["sid"]) == [(0,)]
    assert query(survivor, "SELECT state, attempts, leased_until FROM outbox WHERE message_id = ?", message_id) == [
        ("done", 2, None)
    ]


def test_a_process_stopped_mid_send_gives_the_row_back_at_once(
    make_cluster: Callable[..., Cluster], twilio: FakeTwilio
) -> None:
    cluster, shop = sms_cluster(make_cluster, twilio, OUTBOX_LEASE_SECONDS="20")
    conversation_id = open_conversation(shop)[1]
    twilio.hold(1)
    message_id = shop.reply(conversation_id, "one moment").json()["message_id"]
    ((_, port),) = twilio.wait_held(1)
    holder = pid_of_connection(cluster, port)
    survivor = next(live for live in cluster.servers if live is not holder)
    holder.stop()  # SIGTERM: the send is cut off after the shutdown grace and its lease given back
    ((state, attempts, leased_until, next_attempt_at),) = query(
        survivor, "SELECT state, attempts, leased_until, next_attempt_at FROM outbox WHERE message_id = ?", message_id
    )
    # Released (due now, not at the lease's end), unless another process has already claimed it again.
    assert (state, attempts, leased_until) == ("pending", 1, None) or attempts == 2
    assert attempts == 2 or parse_iso(next_attempt_at) <= datetime.now(UTC)
    twilio.release()
    eventually(status_is(survivor, message_id, "sent"), timeout=30)
    assert query(survivor, "SELECT state, attempts FROM outbox WHERE message_id = ?", message_id) == [("done", 2)]
