"""Storage faults against the real server: a full disk, and the database file locked by another process.

Either way a write is refused, never half-acknowledged: the socket answers an `error` frame carrying the
message's client id (and stays open), HTTP answers 503 `{"detail"}`, `/health` stays 200, and once the
disk has room or the lock is released the next writes are stored and acknowledged, without a restart."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.twilio_api import FakeTwilio, server_error
from tests.fault_support import BUSY_ENV, answer_to, client_id, fill, require_root, stored, tiny_filesystem, visitor
from tests.sms_support import open_conversation, sms_server, sms_shop
from tests.support import LiveServer, eventually, make_tenant, staff_socket, status_is

REFUSED_SEND = "the database refused the attempt"  # the outbox's warning when it cannot claim a due reply


@pytest.fixture
def small_disk_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server whose database (and nothing else: the log stays outside) lives on a 3 MB tmpfs."""
    require_root("the full-disk test")
    with tiny_filesystem(tmp_path / "disk", "3m") as disk:
        # Escalation falls due while the disk is full: the timers must wait for room too.
        live = LiveServer(tmp_path, DB_PATH=str(disk / "handoff.sqlite"), ESCALATE_AFTER_SECONDS="2", **BUSY_ENV)
        live.db_path = str(disk / "handoff.sqlite")
        try:
            yield live.start()
        finally:
            live.stop()


def test_a_full_disk_refuses_writes_acknowledges_nothing_unstored_and_recovers(small_disk_server: LiveServer) -> None:
    server = small_disk_server
    admin, key = make_tenant(server)
    session, sock = visitor(server, key)
    first = client_id()
    sock.send({"type": "message", "text": "before the disk filled", "client_id": first})
    assert answer_to(sock, first)["type"] == "ack"
    conversation_id = admin.get("/admin/api/convos").json()["conversations"][0]["id"]
    staff = staff_socket(server, admin.token or "")
    filler = Path(server.db_path).parent / "filler"
    fill(filler)

    # Keep sending until the disk refuses one (the WAL may still have room for a few).
    acked, refused = [first], []
    for n in range(2000):
        cid = client_id()
        sock.send({"type": "message", "text": f"message {n} " + "x" * 2000, "client_id": cid})
        answer = answer_to(sock, cid)
        if answer["type"] == "error":
            refused.append(cid)
            assert "database" in answer["detail"], answer
            break
        acked.append(cid)
    assert refused, "the disk never filled up"
    assert httpx.get(f"{server.url}/health").status_code == 200

    # HTTP writes: 503 with a detail. The staff socket's send: an error frame.
    token = {"Authorization": f"Bearer {session['visitor_token']}"}
    over_http = client_id()
    refused_http = httpx.post(
        f"{server.url}/webchat", json={"text": "over http", "client_id": over_http}, headers=token
    )
    assert refused_http.status_code == 503 and "database" in refused_http.json()["detail"]
    assert refused_http.headers["retry-after"] == "5"  # when to try again, rather than leaving clients to guess
    reply = admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": "a reply", "client_id": "r1"})
    assert reply.status_code == 503 and "detail" in reply.json()
    staff.send({"type": "send", "conversation_id": conversation_id, "text": "by socket", "client_id": "s1"})
    assert answer_to(staff, "s1")["type"] == "error"

    # Nothing refused was stored; everything acknowledged was.
    found = stored(server, [*acked, *refused, over_http])
    assert all(len(found[cid]) == 1 for cid in acked), found
    assert all(found[cid] == [] for cid in [*refused, over_http])

    eventually(lambda: "timer tick refused by the database" in server.log())  # the escalation is due
    assert "timer tick failed" not in server.log()  # a known condition: a warning line, not a trace
    assert not admin.get(f"/admin/api/conversations/{conversation_id}").json()["escalated"]

    # Space returns: the same sockets and clients go on, with no restart.
    filler.unlink()
    eventually(lambda: admin.get(f"/admin/api/conversations/{conversation_id}").json()["escalated"])
    again = refused[0]
    sock.send({"type": "message", "text": "resent after the disk had room", "client_id": again})
    assert answer_to(sock, again)["type"] == "ack"
    after = client_id()
    sock.send({"type": "message", "text": "a new one", "client_id": after})
    assert answer_to(sock, after)["type"] == "ack"
    staff.send({"type": "send", "conversation_id": conversation_id, "text": "by socket", "client_id": "s1"})
    assert answer_to(staff, "s1")["type"] == "ack"
    assert (
        httpx.post(f"{server.url}/webchat", json={"text": "x", "client_id": over_http}, headers=token).status_code
        == 200
    )

    # A crash now loses nothing that was acknowledged, and nothing is doubled.
    server.kill()
    server.start()
    found = stored(server, [*acked, again, after, over_http])
    assert all(len(ids) == 1 for ids in found.values()), found
    sock.close()
    staff.close()


@contextlib.contextmanager
def locked(db_path: str) -> Iterator[None]:
    """Another process's connection holding the database's write lock (BEGIN EXCLUSIVE) until the block ends."""
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_database_locked_by_another_process_refuses_writes_clearly_and_recovers(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, **BUSY_ENV).start()
    try:
        admin, key = make_tenant(server)
        session, sock = visitor(server, key)
        first = client_id()
        sock.send({"type": "message", "text": "before the lock", "client_id": first})
        assert answer_to(sock, first)["type"] == "ack"
        token = {"Authorization": f"Bearer {session['visitor_token']}"}
        with locked(server.db_path):
            waiting = client_id()
            sock.send({"type": "message", "text": "while locked", "client_id": waiting})
            refused = answer_to(sock, waiting)  # after the 5 s busy timeout
            assert refused["type"] == "error" and "locked" in refused["detail"], refused
            over_http = httpx.post(f"{server.url}/webchat", json={"text": "x"}, headers=token, timeout=30)
            assert over_http.status_code == 503 and "locked" in over_http.json()["detail"]
            assert httpx.get(f"{server.url}/health").status_code == 200  # reads go on (WAL)
            assert stored(server, [waiting])[waiting] == []
        assert "refused, nothing of it stored: database is locked" in server.log()
        sock.send({"type": "message", "text": "after the lock", "client_id": waiting})
        assert answer_to(sock, waiting)["type"] == "ack"
        assert [len(ids) for ids in stored(server, [first, waiting]).values()] == [1, 1]
        sock.close()
        admin.close()
    finally:
        server.stop()


def test_an_sms_reply_due_while_the_disk_is_full_waits_without_spinning_and_goes_out_after(
    tmp_path: Path, make_server: Callable[..., LiveServer], twilio: FakeTwilio
) -> None:
    require_root("the full-disk test")
    with tiny_filesystem(tmp_path / "disk", "3m") as disk:
        server = sms_server(
            make_server,
            tmp_path,
            twilio,
            DB_PATH=str(disk / "handoff.sqlite"),
            OUTBOX_MAX_ATTEMPTS="1000",
            OUTBOX_BASE_DELAY_SECONDS="0.05",
            OUTBOX_MAX_DELAY_SECONDS="0.1",
            OUTBOX_LEASE_SECONDS="3",  # an attempt whose outcome could not be stored holds its row this long
        )
        server.db_path = str(disk / "handoff.sqlite")
        server.start()
        try:
            shop = sms_shop(server, twilio)
            _, conversation_id = open_conversation(shop)
            twilio.always = server_error()  # every send fails and is retried within 0.1 s
            message_id = shop.reply(conversation_id, "retried until the disk is full").json()["message_id"]
            shop_sends = f"/2010-04-01/Accounts/{shop.account_sid}/Messages.json"
            twilio.wait_for_requests(2, path=shop_sends)
            filler = disk / "filler"
            fill(filler)
            eventually(lambda: REFUSED_SEND in server.log(), timeout=30)
            first_seen = time.monotonic()
            eventually(lambda: server.log().count(REFUSED_SEND) >= 3, timeout=30)
            # Each refused attempt holds its row for a pause (1 s) before the next: no loop hammering the
            # database and the log. (Less 0.1 s: the first line may have been written before it was seen.)
            assert time.monotonic() - first_seen >= 2 * 1.0 - 0.1
            assert "attempt crashed" not in server.log()  # a known condition: a warning line, not a trace
            twilio.always = None
            filler.unlink()
            eventually(status_is(server, message_id, "sent"), timeout=60)
        finally:
            server.stop()
