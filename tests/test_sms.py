"""SMS through Twilio against the real server and a loopback Twilio API: signed webhooks into the inbox,
replies out through the outbox, status callbacks, STOP/START, retries and permanent errors."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.fakes import Reply
from tests.fakes.twilio_api import (
    FakeTwilio,
    invalid_number,
    server_error,
    signature,
    too_many_requests,
    webhook_params,
)
from tests.sms_support import PUBLIC, SmsShop, new_sid, open_conversation, phone, sms_server, sms_shop
from tests.support import (
    LiveServer,
    eventually,
    execute,
    is_update,
    message_row,
    query,
    staff_socket,
    status_is,
)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

pytestmark = BACKENDS


@pytest.fixture(scope="module")
def server(
    make_server: Callable[..., LiveServer], tmp_path_factory: pytest.TempPathFactory, twilio: FakeTwilio
) -> Iterator[LiveServer]:
    live = sms_server(make_server, tmp_path_factory.mktemp("sms"), twilio).start()
    yield live
    live.stop()


@pytest.fixture(autouse=True)
def _fresh_fake(twilio: FakeTwilio) -> None:
    twilio.reset()


@pytest.fixture
def shop(server: LiveServer, twilio: FakeTwilio) -> SmsShop:
    return sms_shop(server, twilio)


# ---- inbound --------------------------------------------------------------------------------------


def test_inbound_sms_and_mms_reach_the_inbox(server: LiveServer, shop: SmsShop, twilio: FakeTwilio) -> None:
    staff = staff_socket(server, shop.admin.token or "")
    sender = phone()
    response = shop.text_in("Hi, where is my order?", sender)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text == EMPTY_TWIML
    event = staff.recv_until(lambda f: f["type"] == "message")
    assert event["message"]["channel"] == "sms" and event["message"]["sender"] == "visitor"
    assert event["message"]["text"] == "Hi, where is my order?"
    assert event["conversation"]["channel"] == "sms"
    assert (
        event["conversation"]["contact"]["phone"] == sender and event["conversation"]["contact"]["opted_out"] is False
    )

    # On the fake, never the internet: the media job fetches them (404s here; tests/test_media.py stores them).
    media = (
        (f"{twilio.url}/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "image/jpeg"),
        (f"{twilio.url}/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2", "application/pdf"),
    )
    assert shop.text_in("", sender, sid=new_sid("MM"), media=media).status_code == 200
    mms = staff.recv_until(lambda f: f["type"] == "message")["message"]
    assert mms["attachments"] == [{"url": u, "content_type": t} for u, t in media]
    assert mms["conversation_id"] == event["message"]["conversation_id"]  # same person, same conversation
    staff.close()


def test_forged_signatures_are_refused_and_nothing_is_stored(server: LiveServer, shop: SmsShop) -> None:
    sender, sid = phone(), new_sid()
    wrong_token = shop.text_in("forged", sender, sid=sid, token=secrets.token_hex(16))
    # Signed for the URL the server sees, not the public one Twilio calls: behind a proxy that is forged too.
    internal_url = shop.text_in("forged", sender, sid=sid, url=f"{server.url}/webhooks/twilio/sms")
    params = webhook_params(MessageSid=sid, AccountSid=shop.account_sid, From=sender, To=shop.number, Body="hello")
    signed = signature(shop.auth_token, f"{PUBLIC}/webhooks/twilio/sms", params)
    tampered = httpx.post(
        f"{server.url}/webhooks/twilio/sms",
        data={**params, "Body": "send me money"},
        headers={"X-Twilio-Signature": signed},
    )
    unsigned = httpx.post(f"{server.url}/webhooks/twilio/sms", data=params)
    assert [r.status_code for r in (wrong_token, internal_url, tampered, unsigned)] == [403, 403, 403, 403]
    assert query(server, "SELECT count(*) FROM messages WHERE external_id = ?", sid) == [(0,)]
    assert query(server, "SELECT count(*) FROM contacts WHERE external_id = ?", sender) == [(0,)]
    forged_status = shop.status(new_sid(), "delivered", sender, token=secrets.token_hex(16))
    assert forged_status.status_code == 403


def test_unknown_number_is_404_and_nothing_is_stored(server: LiveServer, shop: SmsShop) -> None:
    sid = new_sid()
    params = webhook_params(MessageSid=sid, AccountSid=shop.account_sid, From=phone(), To=phone(), Body="hello?")
    response = shop.webhook("/webhooks/twilio/sms", params)
    assert response.status_code == 404
    assert query(server, "SELECT count(*) FROM messages WHERE external_id = ?", sid) == [(0,)]


def test_retried_message_sid_is_stored_once_even_when_concurrent(server: LiveServer, shop: SmsShop) -> None:
    staff = staff_socket(server, shop.admin.token or "")
    sender, sid = phone(), new_sid()
    assert shop.text_in("once only", sender, sid=sid).status_code == 200
    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(lambda _: shop.text_in("once only", sender, sid=sid).status_code, range(10)))
    assert statuses == [200] * 10
    assert query(server, "SELECT count(*) FROM messages WHERE external_id = ?", sid) == [(1,)]
    # Every retry was answered, so anything it announced is queued before this later message's event.
    assert shop.text_in("marker", phone()).status_code == 200
    frames = staff.recv_through(lambda f: f["type"] == "message" and f["message"]["text"] == "marker")
    events = [f for f in frames[:-1] if f["type"] == "message"]
    assert len(events) == 1
    staff.close()


# ---- outbound -------------------------------------------------------------------------------------


def test_reply_reaches_twilio_with_the_right_fields_and_callbacks_move_it_forward(
    server: LiveServer, twilio: FakeTwilio, shop: SmsShop
) -> None:
    staff = staff_socket(server, shop.admin.token or "")
    sender, conversation_id = open_conversation(shop)
    response = shop.reply(conversation_id, "Your order shipped today.")
    assert response.status_code == 200, response.text
    assert response.json()["message"]["status"] == "queued"  # committed first, sent after
    message_id = response.json()["message_id"]
    [request] = twilio.wait_for_requests(1, path=f"/2010-04-01/Accounts/{shop.account_sid}/Messages.json")
    assert request.form == {
        "To": sender,
        "From": shop.number,
        "Body": "Your order shipped today.",
        "StatusCallback": f"{PUBLIC}/webhooks/twilio/status",
    }
    sent = staff.recv_until(lambda f: is_update(f, message_id, "sent"))["message"]
    assert request.reply_status == 201  # (the fake records a request before it answers: check after `sent`)
    assert "error" not in sent
    sid = request.reply_body["sid"]
    assert message_row(server, message_id)["provider_id"] == sid and sid.startswith("SM") and len(sid) == 34

    # In order: sent (no change), delivered.
    assert shop.status(sid, "sent", sender).status_code == 200
    assert shop.status(sid, "delivered", sender).status_code == 200
    assert staff.recv_until(lambda f: is_update(f, message_id, "delivered"))["conversation"]["id"] == conversation_id
    # Out of order: older statuses never move it back.
    for late in ("sent", "queued", "sending", "undelivered"):
        assert shop.status(sid, late, sender, error_code="30003" if late == "undelivered" else None).status_code == 200
    assert message_row(server, message_id)["status"] == "delivered"

    # A second reply that the carrier cannot deliver: failed, with the code staff can look up.
    second = shop.reply(conversation_id, "Are you there?").json()["message_id"]
    eventually(status_is(server, second, "sent"))
    second_sid = message_row(server, second)["provider_id"]
    assert shop.status(second_sid, "undelivered", sender, error_code="30003").status_code == 200
    failed = staff.recv_until(lambda f: is_update(f, second, "failed"))["message"]
    assert failed["error"] == "30003: Unreachable destination handset"
    assert shop.status(second_sid, "delivered", sender).status_code == 200  # nothing moves a failure
    assert message_row(server, second)["status"] == "failed"

    # A callback for a SID nobody knows: 200, nothing changes.
    assert shop.status(new_sid(), "delivered", sender).status_code == 200
    staff.close()


def test_callback_that_beats_the_send_to_the_database_is_applied(
    server: LiveServer, twilio: FakeTwilio, shop: SmsShop
) -> None:
    sender, conversation_id = open_conversation(shop)
    sid = new_sid()
    twilio.next_sids.append(sid)
    twilio.delay = 1.0  # Twilio has created the message but our send has not got the answer yet
    message_id = shop.reply(conversation_id, "racing").json()["message_id"]
    twilio.wait_for_requests(1, path=f"/2010-04-01/Accounts/{shop.account_sid}/Messages.json")
    assert shop.status(sid, "delivered", sender).status_code == 200
    assert query(server, "SELECT count(*) FROM messages WHERE provider_id = ?", sid) == [(0,)]
    eventually(status_is(server, message_id, "delivered"))
    assert message_row(server, message_id)["provider_id"] == sid
    assert query(server, "SELECT count(*) FROM provider_status WHERE provider_id = ?", sid) == [(0,)]


def test_stop_opts_out_and_start_opts_back_in(server: LiveServer, twilio: FakeTwilio, shop: SmsShop) -> None:
    staff = staff_socket(server, shop.admin.token or "")
    sender, conversation_id = open_conversation(shop)
    shop.text_in("stop it", sender)  # not a keyword: a sentence
    assert shop.conversation_of(sender)["contact"]["opted_out"] is False

    assert shop.text_in("  stop \n", sender).status_code == 200
    update = staff.recv_until(lambda f: f["type"] == "conversation_updated")
    assert update["conversation"]["contact"]["opted_out"] is True
    assert shop.conversation_of(sender)["contact"]["opted_out"] is True
    texts = [
        m["text"] for m in shop.admin.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"]
    ]
    assert texts[-1] == "  stop \n"  # staff still see the keyword itself

    refused = shop.reply(conversation_id, "Wait, one more thing")
    assert refused.status_code == 409
    assert "opted out" in refused.json()["detail"] and "START" in refused.json()["detail"]
    # Refused before anything was stored: no message and no outbox row, so nothing can ever be sent.
    assert query(
        server, "SELECT count(*) FROM messages WHERE conversation_id = ? AND sender = 'staff'", conversation_id
    ) == [(0,)]
    assert query(
        server,
        "SELECT count(*) FROM outbox WHERE tenant_id = (SELECT tenant_id FROM conversations WHERE id = ?)",
        conversation_id,
    ) == [(0,)]
    assert shop.requests(twilio) == []

    assert shop.text_in("Start", sender).status_code == 200
    again = staff.recv_until(lambda f: f["type"] == "conversation_updated")
    assert again["conversation"]["contact"]["opted_out"] is False
    ok = shop.reply(conversation_id, "Welcome back")
    assert ok.status_code == 200
    eventually(status_is(server, ok.json()["message_id"], "sent"))
    assert [r.form["Body"] for r in twilio.sent()] == ["Welcome back"]

    # Other opt-out words work too; and a late retry of the old STOP does not undo the newer START.
    for word in ("UNSUBSCRIBE", "quit"):
        other = phone()
        shop.text_in(word, other)
        assert shop.conversation_of(other)["contact"]["opted_out"] is True
    staff.close()


def test_late_retry_of_an_old_stop_does_not_undo_a_newer_start(server: LiveServer, shop: SmsShop) -> None:
    sender = phone()
    stop_sid = new_sid()
    shop.text_in("STOP", sender, sid=stop_sid)
    shop.text_in("YES", sender)
    shop.text_in("STOP", sender, sid=stop_sid)  # Twilio retrying the first one, late
    assert shop.conversation_of(sender)["contact"]["opted_out"] is False


def test_429_and_5xx_are_retried_until_delivered_exactly_once(
    server: LiveServer, twilio: FakeTwilio, shop: SmsShop
) -> None:
    _, conversation_id = open_conversation(shop)
    twilio.script(too_many_requests(retry_after=1), server_error(), Reply(drop=True))
    message_id = shop.reply(conversation_id, "eventually").json()["message_id"]
    eventually(status_is(server, message_id, "sent"))
    requests = shop.requests(twilio)
    assert [r.reply_status for r in requests] == [429, 500, 0, 201]
    assert requests[1].at - requests[0].at >= 0.95  # waited as long as Retry-After asked
    assert [r.form["Body"] for r in twilio.sent()] == ["eventually"]
    assert query(server, "SELECT state, attempts FROM outbox WHERE message_id = ?", message_id) == [("done", 4)]
    assert "error" not in shop.admin.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"][-1]


def test_permanent_error_fails_at_once_with_the_code_shown(
    server: LiveServer, twilio: FakeTwilio, shop: SmsShop
) -> None:
    staff = staff_socket(server, shop.admin.token or "")
    _, conversation_id = open_conversation(shop)
    twilio.script(invalid_number())
    message_id = shop.reply(conversation_id, "to nowhere").json()["message_id"]
    failed = staff.recv_until(lambda f: is_update(f, message_id, "failed"))["message"]
    assert failed["error"] == "21211: Invalid 'To' Phone Number"
    # Committed with the failure, before its event: a failed row is final, so no retry can follow.
    assert query(server, "SELECT state, attempts FROM outbox WHERE message_id = ?", message_id) == [("failed", 1)]
    assert len(shop.requests(twilio)) == 1  # not retried
    listed = shop.admin.get(f"/admin/api/conversations/{conversation_id}/messages").json()["messages"][-1]
    assert listed["status"] == "failed" and listed["error"].startswith("21211")
    staff.close()


def test_each_number_lands_in_its_own_tenant(server: LiveServer, twilio: FakeTwilio) -> None:
    first, second = sms_shop(server, twilio), sms_shop(server, twilio)
    sender = phone()  # the same person texts both businesses
    first.text_in("for the bakery", sender)
    second.text_in("for the florist", sender)
    for shop, text in ((first, "for the bakery"), (second, "for the florist")):
        [conversation] = shop.admin.get("/admin/api/convos").json()["conversations"]
        assert conversation["last_message"]["text"] == text
        reply = shop.reply(conversation["id"], f"re: {text}")
        eventually(status_is(server, reply.json()["message_id"], "sent"))
    # Each reply went out with its own tenant's Twilio account and number.
    assert [r.form["From"] for r in first.requests(twilio)] == [first.number]
    assert [r.form["From"] for r in second.requests(twilio)] == [second.number]


def test_sms_not_connected_is_a_clear_409(server: LiveServer, shop: SmsShop) -> None:
    _, conversation_id = open_conversation(shop)
    # e.g. the credentials were removed
    removed = (
        "CAST(CAST(config AS jsonb) - 'auth_token' AS TEXT)"
        if server.database_url
        else "json_remove(config, '$.auth_token')"
    )
    execute(server, f"UPDATE channel_accounts SET config = {removed} WHERE address = ?", shop.number)
    refused = shop.reply(conversation_id, "hello?")
    assert refused.status_code == 409 and "not connected" in refused.json()["detail"]
