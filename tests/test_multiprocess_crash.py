"""A process of a three-process deployment killed (SIGKILL) while a visitor streams messages to it and staff
watch there: the clients reconnect to other processes and resume, every acknowledged message is stored once
and seen once by staff, the resent unacknowledged ones are not doubled, and the dead process's staff leave
the other processes' presence once its presence TTL (PRESENCE_TTL_SECONDS, short here) runs out."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed

from tests.cluster import Cluster
from tests.support import Api, Sock, make_tenant, query, staff_socket, visitor_session, visitor_socket

Frame = dict[str, Any]
PRESENCE_TTL_SECONDS = 2.0


def until_dropped(sock: Sock) -> list[Frame]:
    """Every frame that still arrives until the connection ends."""
    frames: list[Frame] = []
    try:
        while True:
            frames.append(sock.recv(timeout=10))
    except ConnectionClosed:
        return frames


def is_presence(online: bool) -> Callable[[Frame], bool]:
    return lambda f: f["type"] == "presence" and f["staff_online"] is online


def visitor_messages(frames: list[Frame]) -> list[int]:
    return [f["message"]["id"] for f in frames if f["type"] == "message" and f["message"]["sender"] == "visitor"]


def test_a_killed_process_loses_no_acknowledged_message_and_doubles_none(
    make_cluster: Callable[..., Cluster],
) -> None:
    p1, p2, p3 = make_cluster(3, PRESENCE_TTL_SECONDS=str(PRESENCE_TTL_SECONDS), VISITOR_MESSAGES_PER_MINUTE="1000")
    admin, key = make_tenant(p1)
    staff = staff_socket(p3, admin.token or "")
    watcher = visitor_socket(p1, visitor_session(p1, key))  # another visitor's widget, on a process that lives
    watcher.recv_until(is_presence(True))
    session = visitor_session(p1, key)
    visitor = visitor_socket(p3, session)
    texts = {f"c-{i}": f"message {i}" for i in range(30)}
    client_ids = list(texts)

    acked: dict[str, int] = {}
    for client_id in client_ids[:10]:
        visitor.send({"type": "message", "text": texts[client_id], "client_id": client_id})
        acked[client_id] = visitor.recv_until(lambda f, c=client_id: f["type"] == "ack" and f["client_id"] == c)[
            "message_id"
        ]
    staff_seen = visitor_messages(
        staff.recv_through(lambda f: f["type"] == "message" and f["message"]["text"] == texts["c-9"])
    )
    for client_id in client_ids[10:]:  # no waiting: the process dies with the later ones in flight
        visitor.send({"type": "message", "text": texts[client_id], "client_id": client_id})
    in_flight = visitor.recv_through(lambda f: f["type"] == "ack" and f["client_id"] == "c-14")
    p3.kill()
    for frame in in_flight + until_dropped(visitor):
        if frame["type"] == "ack":
            acked[frame["client_id"]] = frame["message_id"]
    staff_seen += visitor_messages(until_dropped(staff))

    # The dead process's staff member leaves the other processes' presence when its TTL runs out.
    gone = time.monotonic()
    watcher.recv_until(is_presence(False), timeout=PRESENCE_TTL_SECONDS * 5)
    assert time.monotonic() - gone >= PRESENCE_TTL_SECONDS / 2  # expired, not announced by a clean stop

    # Staff reconnect to process 2 and refetch what came after the last message they have (the admin app's
    # reconnect); the visitor reconnects to process 1, resumes after its last ack and resends the rest.
    staff = staff_socket(p2, admin.token or "")
    watcher.recv_until(is_presence(True))
    conversation_id = query(p1, "SELECT conversation_id FROM messages WHERE id = ?", acked["c-0"])[0][0]
    refetched = Api(p2, admin.token).get(
        f"/admin/api/conversations/{conversation_id}/messages", params={"after": max(staff_seen)}
    )
    staff_seen += [m["id"] for m in refetched.json()["messages"]]
    visitor = visitor_socket(p1, session)
    visitor.send({"type": "resume", "after": max(acked.values())})
    replayed = {
        f["message"]["client_id"]: f["message"]["id"]
        for f in visitor.recv_through(lambda f: f["type"] == "conversation")
        if f["type"] == "message"
    }
    unacked = [c for c in client_ids if c not in acked]
    assert set(replayed) <= set(unacked)  # stored before the crash, only the ack was lost
    for client_id in [*unacked, client_ids[0]]:  # and one already acknowledged, resent as a lost ack would be
        visitor.send({"type": "message", "text": texts[client_id], "client_id": client_id})
        ack = visitor.recv_until(lambda f, c=client_id: f["type"] == "ack" and f["client_id"] == c)
        assert ack["message_id"] == acked.get(client_id, replayed.get(client_id, ack["message_id"]))
        acked[client_id] = ack["message_id"]
    visitor.send({"type": "message", "text": "that is all", "client_id": "last"})
    staff_seen += visitor_messages(
        staff.recv_through(lambda f: f["type"] == "message" and f["message"]["text"] == "that is all")
    )

    stored = query(
        p2, "SELECT client_id, id FROM messages WHERE conversation_id = ? AND sender = 'visitor'", conversation_id
    )
    assert sorted(c for c, _ in stored) == sorted([*client_ids, "last"])  # every message, each stored once
    assert {c: i for c, i in stored if c != "last"} == acked  # every ack names the row that holds its message
    # Staff saw each stored message exactly once: live before the crash, refetched, or live after it.
    assert Counter(staff_seen) == Counter(i for _, i in stored)
    for sock in (visitor, staff, watcher):
        sock.close()
