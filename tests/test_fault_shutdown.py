"""SIGTERM under load, against the real server: visitors and staff sending with acknowledgements, and an SMS
reply on the wire to the loopback Twilio. Every socket answers the frame in hand and closes with 1012 (a
proper closing handshake, so every client sees 1012, not a reset); the server stops accepting, lets the send
finish and records it; the clients reconnect to the restarted server, resend what was never acknowledged
(same client ids), and every message is stored exactly once."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.twilio_api import FakeTwilio
from tests.fault_support import BUSY_ENV, Talker, stored, visitor
from tests.sms_support import open_conversation, sms_server, sms_shop
from tests.support import LiveServer, eventually, message_row, staff_socket, visitor_socket

VISITORS = 4


def visitor_frame(cid: str, n: int) -> dict[str, Any]:
    return {"type": "message", "text": f"visitor message {n}", "client_id": cid}


def staff_frame(conversation_id: int) -> Callable[[str, int], dict[str, Any]]:
    return lambda cid, n: {"type": "send", "conversation_id": conversation_id, "text": f"reply {n}", "client_id": cid}


@pytest.fixture
def server(make_server: Callable[..., LiveServer], tmp_path: Path, twilio: FakeTwilio) -> LiveServer:
    return sms_server(make_server, tmp_path, twilio, **BUSY_ENV).start()


def test_sigterm_under_load_closes_sockets_1012_finishes_sends_and_loses_nothing(
    server: LiveServer, twilio: FakeTwilio
) -> None:
    shop = sms_shop(server, twilio)
    key = shop.admin.get("/api/v1/tenant").json()["widget_key"]
    visitors = [visitor(server, key) for _ in range(VISITORS)]
    talkers = [Talker(f"v{n}", visitor_frame).start(sock) for n, (_, sock) in enumerate(visitors)]
    talkers[0].wait_acks(1)
    webchat_id = next(
        c["id"] for c in shop.admin.get("/admin/api/convos").json()["conversations"] if c["channel"] == "webchat"
    )
    staff = Talker("staff", staff_frame(webchat_id))
    staff.start(staff_socket(server, shop.admin.token or ""))
    _, sms_id = open_conversation(shop)
    twilio.hold(1)
    reply = shop.reply(sms_id, "on its way to Twilio")
    assert reply.status_code == 200, reply.text
    sms_message = reply.json()["message_id"]
    twilio.wait_held(1)
    for talker in [*talkers, staff]:
        talker.wait_acks(20)  # everyone is busy

    assert server.process is not None
    server.process.send_signal(signal.SIGTERM)
    # Shutting down, held open by the send on the wire: new connections are refused.
    eventually(lambda: "Waiting for application shutdown" in server.log())
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/health", timeout=2)
    twilio.release()
    began = time.monotonic()
    for talker in [*talkers, staff]:
        talker.join()
    waited = time.monotonic() - began
    assert [t.close_code for t in [*talkers, staff]] == [1012] * (VISITORS + 1), waited
    assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it caught
    server.process = None
    assert message_row(server, sms_message)["status"] == "sent"  # finished and recorded before exiting
    assert len(shop.requests(twilio)) == 1

    # Every frame the server had read was answered before its socket closed: what was not acknowledged was
    # never read, so none of it is stored yet.
    unacked = [cid for t in [*talkers, staff] for cid in t.unacked]
    early = {cid: ids for cid, ids in stored(server, unacked).items() if ids}
    assert unacked and not early, (
        early,
        [(t.name, len(t.sent), len(t.acked), t.close_code) for t in [*talkers, staff]],
    )

    server.start()
    for talker, (session, _) in zip(talkers, visitors, strict=True):
        sock = visitor_socket(server, session)
        talker.resend(sock)
        sock.close()
    sock = staff_socket(server, shop.admin.token or "")
    staff.resend(sock)
    sock.close()

    everything = [cid for t in [*talkers, staff] for cid in t.sent]
    found = stored(server, everything)
    doubled_or_lost = {cid: ids for cid, ids in found.items() if len(ids) != 1}
    assert not doubled_or_lost
    # Each acknowledgement named the message that is stored (a resent one, the same id as before).
    assert all(found[cid] == [t.acked[cid]] for t in [*talkers, staff] for cid in t.sent)
    assert not [t.errors for t in [*talkers, staff] if t.errors]
    assert len(shop.requests(twilio)) == 1  # the SMS went out once
