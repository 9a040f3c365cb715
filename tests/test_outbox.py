"""The durable outbox: survives a restart, keeps a conversation's replies in order, backs off sensibly,
and moves delivery status forward only."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path

import pytest

from handoff.channels.messenger import split_text, window
from handoff.delivery.outbox import RetryPolicy, advances, retry_after_seconds
from tests.fakes.twilio_api import FakeTwilio, server_error
from tests.support import LiveServer, eventually, message_row, query, status_is
from tests.test_sms import sms_server, sms_shop


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


@pytest.fixture
def live(tmp_path: Path, twilio: FakeTwilio) -> Iterator[LiveServer]:
    server = sms_server(tmp_path, twilio)
    server.env["PUBLIC_BASE_URL"] = server.url  # Twilio reaches this server directly: no proxy in between
    yield server.start()
    server.stop()


def test_pending_reply_is_delivered_after_a_restart(live: LiveServer, twilio: FakeTwilio) -> None:
    shop = sms_shop(live, twilio, public=live.url)
    assert shop.text_in("Hello?", "+15557654321").status_code == 200
    conversation_id = shop.conversation_of("+15557654321")["id"]
    twilio.always = server_error()  # Twilio is down
    message_id = shop.reply(conversation_id, "We are on it").json()["message_id"]
    twilio.wait_for_requests(2, path=f"/2010-04-01/Accounts/{shop.account_sid}/")
    live.stop()
    assert query(live, "SELECT state FROM outbox WHERE message_id = ?", message_id) == [("pending",)]
    assert message_row(live, message_id)["status"] == "queued"

    twilio.always = None  # Twilio is back; so are we
    live.start()
    eventually(status_is(live, message_id, "sent"))
    assert [r.form["Body"] for r in twilio.sent()] == ["We are on it"]
    assert twilio.sent()[0].form["StatusCallback"] == f"{live.url}/webhooks/twilio/status"


def test_a_conversation_replies_are_never_reordered_by_retries(live: LiveServer, twilio: FakeTwilio) -> None:
    shop = sms_shop(live, twilio, public=live.url)
    shop.text_in("Hi", "+15557654322")
    conversation_id = shop.conversation_of("+15557654322")["id"]
    twilio.script(server_error(), server_error())
    ids = [shop.reply(conversation_id, text).json()["message_id"] for text in ("one", "two", "three")]
    for message_id in ids:
        eventually(status_is(live, message_id, "sent"))
    assert [r.form["Body"] for r in twilio.sent()] == ["one", "two", "three"]


def test_retry_policy_doubles_caps_jitters_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=60.0, max_attempts=5)
    for attempts, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (7, 60.0), (30, 60.0)):
        delays = [policy.delay(attempts) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered
    assert policy.delay(1, retry_after=30) == 30
    assert policy.delay(1, retry_after=10**9) == 3600  # a silly Retry-After is capped
    assert retry_after_seconds("7") == 7
    assert 50 < (retry_after_seconds(formatdate(time.time() + 60, usegmt=True)) or 0) <= 60
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_status_moves_forward_only() -> None:
    assert advances("queued", "sent") and advances("sent", "delivered") and advances("delivered", "read")
    assert advances("sent", "failed") and advances("queued", "failed")
    assert not advances("delivered", "sent") and not advances("read", "delivered") and not advances("sent", "queued")
    assert not advances("delivered", "failed")  # the platform already confirmed it arrived
    assert not advances("failed", "delivered") and not advances("failed", "sent")  # failure is final
    assert not advances("received", "read") and not advances(None, "sent")  # not an outbound message


def test_messenger_text_split_and_window() -> None:
    assert split_text("short") == ["short"]
    assert split_text("aaaa bbbb cccc", limit=9) == ["aaaa bbbb", "cccc"]
    assert split_text("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]  # one long word is cut
    assert split_text("a\n\nb " * 1000, limit=2000) and all(len(p) <= 2000 for p in split_text("a\n\nb " * 1000))
    assert window(None) and isinstance(window(None), str)
    assert window("2026-01-01T00:00:00.000Z", now=_at("2026-01-01T23:00:00")) == {"messaging_type": "RESPONSE"}
    assert window("2026-01-01T00:00:00.000Z", now=_at("2026-01-05T00:00:00")) == {
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
    }
    assert isinstance(window("2026-01-01T00:00:00.000Z", now=_at("2026-01-08T00:00:01")), str)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
