"""The SMS outbox end to end: a pending reply survives a restart, and retries never reorder a conversation's
replies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import BACKENDS
from tests.fakes.twilio_api import FakeTwilio, server_error
from tests.sms_support import sms_server, sms_shop
from tests.support import LiveServer, eventually, message_row, query, status_is

pytestmark = BACKENDS


@pytest.fixture(autouse=True)
def _fresh_fake(twilio: FakeTwilio) -> None:
    twilio.reset()


@pytest.fixture
def live(make_server: Callable[..., LiveServer], tmp_path: Path, twilio: FakeTwilio) -> Iterator[LiveServer]:
    """A server of its own, for tests that stop and restart it."""
    server = sms_server(make_server, tmp_path, twilio)
    server.env["PUBLIC_BASE_URL"] = server.url  # Twilio reaches this server directly: no proxy in between
    yield server.start()
    server.stop()


def test_pending_reply_is_delivered_after_a_restart(live: LiveServer, twilio: FakeTwilio) -> None:
    shop = sms_shop(live, twilio, public=live.url)
    assert shop.text_in("Hello?", "+15557654321").status_code == 200
    conversation_id = shop.conversation_of("+15557654321")["id"]
    twilio.always = server_error()  # Twilio is down
    message_id = shop.reply(conversation_id, "We are on it").json()["message_id"]
    twilio.wait_for_requests(2, path=f"/2010-04-01/Accounts/{shop.account_sid}/Messages.json")
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
