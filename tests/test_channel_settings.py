"""Channel settings between tenants, against the real server and loopback Twilio and Graph APIs: one tenant's
webhook never changes another's delivery reports; saving a number or Page proves it is the saver's."""

from __future__ import annotations

import json
import random
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.fakes import Reply
from tests.fakes.graph_api import FakeGraph, temporarily_unavailable
from tests.fakes.twilio_api import FakeTwilio, server_error, signature, webhook_params
from tests.support import Api, LiveServer, eventually, make_tenant, status_is

pytestmark = BACKENDS


@pytest.fixture(scope="module")
def server(
    make_server: Callable[..., LiveServer],
    tmp_path_factory: pytest.TempPathFactory,
    twilio: FakeTwilio,
    graph: FakeGraph,
) -> Iterator[LiveServer]:
    """No PUBLIC_BASE_URL: the status-callback base is learned from signed webhooks."""
    live = make_server(
        tmp_path_factory.mktemp("channel-settings"),
        TWILIO_API_BASE=twilio.url,
        GRAPH_API_BASE=graph.base,
        OUTBOX_BASE_DELAY_SECONDS="0.05",
        OUTBOX_MAX_DELAY_SECONDS="0.5",
    ).start()
    yield live
    live.stop()


@pytest.fixture(autouse=True)
def _fresh_fakes(twilio: FakeTwilio, graph: FakeGraph) -> None:
    twilio.reset()
    graph.reset()


def phone() -> str:
    return "+1555" + "".join(random.choices("0123456789", k=7))


@dataclass
class Sms:
    """A tenant with a Twilio account of its own, as the fake Twilio knows it."""

    server: LiveServer
    admin: Api
    account_sid: str
    auth_token: str
    number: str

    def settings(self, **override: str) -> dict[str, Any]:
        values = {"account_sid": self.account_sid, "auth_token": self.auth_token, "number": self.number}
        return {"channels": {"sms": {**values, **override}}}

    def save(self, **override: str) -> httpx.Response:
        return self.admin.patch("/api/v1/tenant", self.settings(**override))

    def text_in(self, sender: str, body: str, host: str | None = None) -> httpx.Response:
        """A signed inbound SMS webhook, signed over the URL it is sent to (the server's own, or `host`'s)."""
        sid = "SM" + uuid.uuid4().hex
        params = webhook_params(MessageSid=sid, AccountSid=self.account_sid, From=sender, To=self.number, Body=body)
        base = f"http://{host}" if host else self.server.url
        signed = signature(self.auth_token, f"{base}/webhooks/twilio/sms", params)
        headers = {"X-Twilio-Signature": signed, **({"Host": host} if host else {})}
        return httpx.post(f"{self.server.url}/webhooks/twilio/sms", data=params, headers=headers)

    def reply_to(self, sender: str, text: str) -> int:
        conversations = self.admin.get("/admin/api/convos?status=all").json()["conversations"]
        [conversation] = [c for c in conversations if c["contact"]["external_id"] == sender]
        sent = self.admin.post("/admin/api/send", {"conversation_id": conversation["id"], "text": text})
        assert sent.status_code == 200, sent.text
        return int(sent.json()["message_id"])


def sms_tenant(server: LiveServer, twilio: FakeTwilio, *, connect: bool = True) -> Sms:
    admin, _ = make_tenant(server)
    sms = Sms(server, admin, "AC" + secrets.token_hex(16), secrets.token_hex(16), phone())
    twilio.add_account(sms.account_sid, sms.auth_token, sms.number)
    if connect:
        saved = sms.save()
        assert saved.status_code == 200, saved.text
    return sms


def status_callback_of(twilio: FakeTwilio, sms: Sms, body: str) -> str | None:
    [request] = twilio.wait_for_requests(1, path=f"/2010-04-01/Accounts/{sms.account_sid}/Messages.json")
    assert request.form["Body"] == body
    return request.form.get("StatusCallback")


# ---- item 1: the status-callback base is per tenant -------------------------------------------------------


def test_a_tenants_signed_webhook_never_redirects_another_tenants_delivery_reports(
    server: LiveServer, twilio: FakeTwilio
) -> None:
    a, b, c = (sms_tenant(server, twilio) for _ in range(3))
    alice, mallory, carol = phone(), phone(), phone()
    assert a.text_in(alice, "hello A").status_code == 200  # Twilio reaches A at the server's own address
    assert c.text_in(carol, "hello C", host="c-tunnel.example").status_code == 200
    # B's webhook is correctly signed with B's own token over a URL of B's choosing: accepted, as it should be.
    assert b.text_in(mallory, "hello B", host="attacker.example").status_code == 200
    # B's token cannot sign for A's number: refused, and nothing of A is learned from it.
    forged = Sms(server, b.admin, b.account_sid, b.auth_token, a.number)
    assert forged.text_in(phone(), "for A", host="attacker.example").status_code == 403

    for tenant, sender, expected in (
        (a, alice, f"{server.url}/webhooks/twilio/status"),
        (c, carol, "http://c-tunnel.example/webhooks/twilio/status"),
        (b, mallory, "http://attacker.example/webhooks/twilio/status"),  # B only redirects its own reports
    ):
        twilio.reset()
        message_id = tenant.reply_to(sender, "a reply")
        eventually(status_is(server, message_id, "sent"))
        assert status_callback_of(twilio, tenant, "a reply") == expected


# ---- item 6: a number or Page is saved only with proof from the platform ------------------------------------


def events_of(admin: Api, action: str) -> list[dict[str, Any]]:
    return [e for e in admin.get("/api/v1/events").json()["events"] if e["action"] == action]


def test_a_tenant_cannot_claim_another_tenants_number(server: LiveServer, twilio: FakeTwilio) -> None:
    owner = sms_tenant(server, twilio, connect=False)
    squatter = sms_tenant(server, twilio)  # a real Twilio account of its own, with a number of its own
    # Its own credentials, the owner's number: Twilio says that number is not in the squatter's account.
    claimed = squatter.save(number=owner.number)
    assert claimed.status_code == 422, claimed.text
    assert (
        claimed.json()["detail"] == f"{owner.number} is not a phone number of the Twilio account {squatter.account_sid}"
    )
    check = twilio.matching(f"/2010-04-01/Accounts/{squatter.account_sid}/IncomingPhoneNumbers.json")[-1]
    assert check.method == "GET" and check.query["PhoneNumber"] == [owner.number] and check.reply_status == 200
    assert check.headers["authorization"].startswith("Basic ")  # the account's own SID and token
    # A made-up account, or the owner's SID with a guessed token: Twilio refuses the credentials.
    guessed = squatter.save(account_sid=owner.account_sid, auth_token=secrets.token_hex(16), number=owner.number)
    assert guessed.status_code == 422
    assert guessed.json()["detail"] == "Twilio refused the Account SID and Auth Token (20003: Authenticate)"
    assert squatter.admin.get("/api/v1/tenant").json()["channels"]["sms"]["number"] == squatter.number

    assert owner.save().status_code == 200  # the owner is not locked out of its own number
    assert owner.text_in(phone(), "to the owner").status_code == 200
    # Incomplete credentials cannot be proven, so they cannot claim anything either.
    partial = make_tenant(server)[0].patch("/api/v1/tenant", {"channels": {"sms": {"number": phone()}}})
    assert partial.status_code == 422 and "Account SID, Auth Token and number" in partial.json()["detail"]


def test_a_tenant_cannot_claim_another_tenants_page(server: LiveServer, graph: FakeGraph) -> None:
    def settings(page_id: str, token: str) -> dict[str, Any]:
        secret, verify = secrets.token_hex(16), secrets.token_hex(12)
        page = {"page_id": page_id, "page_access_token": token, "app_secret": secret, "verify_token": verify}
        return {"channels": {"messenger": page}}

    owner, _ = make_tenant(server)
    squatter, _ = make_tenant(server)
    owner_page, owner_token = "".join(random.choices("0123456789", k=15)), "EAAB" + secrets.token_hex(24)
    squatter_page, squatter_token = "".join(random.choices("0123456789", k=15)), "EAAB" + secrets.token_hex(24)
    graph.add_page(owner_page, owner_token)
    graph.add_page(squatter_page, squatter_token)

    claimed = squatter.patch("/api/v1/tenant", settings(owner_page, squatter_token))  # its own token, not the Page's
    assert claimed.status_code == 422, claimed.text
    assert claimed.json()["detail"] == (
        f"this access token is not a Page access token of Page {owner_page}; generate one for that Page"
    )
    [check] = graph.matching("/v21.0/me")
    assert check.method == "GET" and check.query["fields"] == ["id"] and check.query["access_token"] == [squatter_token]
    made_up = squatter.patch("/api/v1/tenant", settings(owner_page, "EAAB" + secrets.token_hex(24)))
    assert made_up.status_code == 422
    assert made_up.json()["detail"].startswith("Facebook refused the Page access token (190: Invalid OAuth")
    assert squatter.get("/api/v1/tenant").json()["channels"]["messenger"]["page_id"] is None

    assert owner.patch("/api/v1/tenant", settings(owner_page, owner_token)).status_code == 200
    assert squatter.patch("/api/v1/tenant", settings(squatter_page, squatter_token)).status_code == 200


def test_the_proven_owner_takes_a_number_over_and_both_audit_logs_say_so(
    server: LiveServer, twilio: FakeTwilio
) -> None:
    first = sms_tenant(server, twilio)
    # The number moves to another Twilio account (or its owner kept the credentials and set up a new business).
    second = sms_tenant(server, twilio, connect=False)
    second.number = first.number
    twilio.numbers[first.account_sid].discard(first.number)
    twilio.add_account(second.account_sid, second.auth_token, first.number)

    moved = second.save()
    assert moved.status_code == 200, moved.text
    assert moved.json()["channels"]["sms"]["number"] == first.number
    assert first.admin.get("/api/v1/tenant").json()["channels"]["sms"]["configured"] is False
    sender = phone()
    assert second.text_in(sender, "where does this go?").status_code == 200
    assert [c["contact"]["external_id"] for c in second.admin.get("/admin/api/convos").json()["conversations"]] == [
        sender
    ]
    assert first.admin.get("/admin/api/convos").json()["conversations"] == []

    [lost] = events_of(first.admin, "channel.claimed_by_other")
    assert lost["target"] == {"type": "channel", "id": "sms"} and lost["actor"]["type"] == "system"
    assert lost["detail"]["address"] == first.number and "Twilio" in lost["detail"]["reason"]
    [claimed] = events_of(second.admin, "channel.claimed")
    assert claimed["detail"] == {"address": first.number, "moved": True}
    # Neither learns the other: no field of the loser's event names the winner's business or people.
    winner = second.admin.get("/api/v1/tenant").json()
    shown = [lost["actor"]["id"], lost["target"]["id"], *lost["detail"].values()]
    assert lost["tenant_id"] != winner["id"] and not {str(winner["id"]), winner["name"]} & {str(v) for v in shown}


def test_an_unreachable_platform_is_a_clear_422_and_nothing_is_saved(
    server: LiveServer, twilio: FakeTwilio, graph: FakeGraph
) -> None:
    sms = sms_tenant(server, twilio, connect=False)
    for failure, detail in (
        (Reply(drop=True), "could not verify with Twilio: network error (RemoteProtocolError)"),
        (server_error(), "could not verify the number with Twilio (20500: Internal Server Error)"),
    ):
        twilio.always = failure
        refused = sms.save()
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"] == f"{detail}; nothing was saved; try again in a moment"
    twilio.always = None
    assert sms.admin.get("/api/v1/tenant").json()["channels"]["sms"]["number"] is None

    admin, _ = make_tenant(server)
    page_id, token = "".join(random.choices("0123456789", k=15)), "EAAB" + secrets.token_hex(24)
    graph.add_page(page_id, token)
    graph.always = temporarily_unavailable()
    refused = admin.patch(
        "/api/v1/tenant", {"channels": {"messenger": {"page_id": page_id, "page_access_token": token}}}
    )
    assert refused.status_code == 422 and refused.json()["detail"].startswith("could not verify the Page with Facebook")
    assert token not in refused.text and token not in server.log()
    graph.always = None
    assert sms.save().status_code == 200  # and once the platform answers again, the same save goes through


def test_rotating_a_token_is_checked_too_and_secrets_are_never_returned(server: LiveServer, twilio: FakeTwilio) -> None:
    sms = sms_tenant(server, twilio)
    wrong = sms.admin.patch("/api/v1/tenant", {"channels": {"sms": {"auth_token": secrets.token_hex(16)}}})
    assert wrong.status_code == 422
    assert sms.text_in(phone(), "the stored token still signs").status_code == 200  # nothing was saved
    rotated = secrets.token_hex(16)
    twilio.add_account(sms.account_sid, rotated)
    saved = sms.admin.patch("/api/v1/tenant", {"channels": {"sms": {"auth_token": rotated}}})
    assert saved.status_code == 200, saved.text
    channel = saved.json()["channels"]["sms"]
    assert channel["configured"] is True and channel["auth_token_set"] is True and "auth_token" not in channel
    assert rotated not in json.dumps(sms.admin.get("/api/v1/tenant").json())
    sms.auth_token = rotated
    assert sms.text_in(phone(), "signed with the new token").status_code == 200
