"""Helpers for the SMS tests: a server wired to the loopback Twilio, and a tenant with SMS connected that
can text in, receive status callbacks and reply, signed the way Twilio signs."""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.fakes.twilio_api import FakeTwilio, signature, webhook_params
from tests.support import Api, LiveServer, make_tenant

PUBLIC = "https://handoff.example.test"  # as if behind a TLS-terminating proxy: Twilio signs this URL


def sms_server(make_server: Callable[..., LiveServer], workdir: Path, twilio: FakeTwilio, **env: str) -> LiveServer:
    settings = {
        "TWILIO_API_BASE": twilio.url,
        "PUBLIC_BASE_URL": PUBLIC,
        "OUTBOX_BASE_DELAY_SECONDS": "0.05",
        "OUTBOX_MAX_DELAY_SECONDS": "0.5",
        **env,
    }
    return make_server(workdir, **settings)


def phone() -> str:
    return "+1555" + "".join(random.choices("0123456789", k=7))


def new_sid(prefix: str = "SM") -> str:
    return prefix + uuid.uuid4().hex


@dataclass
class SmsShop:
    server: LiveServer
    admin: Api
    account_sid: str
    auth_token: str
    number: str
    public: str = PUBLIC

    def webhook(
        self, path: str, params: dict[str, str], *, token: str | None = None, url: str | None = None
    ) -> httpx.Response:
        signed = signature(token or self.auth_token, url or f"{self.public}{path}", params)
        return httpx.post(f"{self.server.url}{path}", data=params, headers={"X-Twilio-Signature": signed})

    def text_in(
        self, body: str, sender: str, sid: str | None = None, media: tuple[tuple[str, str], ...] = (), **kw: Any
    ) -> httpx.Response:
        """What Twilio POSTs when `sender` texts our number."""
        sid = sid or new_sid()
        params = webhook_params(
            MessageSid=sid,
            SmsMessageSid=sid,
            SmsSid=sid,
            AccountSid=self.account_sid,
            From=sender,
            To=self.number,
            Body=body,
            NumMedia=str(len(media)),
            NumSegments="1",
            SmsStatus="received",
            FromCountry="US",
            ToCountry="US",
        )
        for n, (url, content_type) in enumerate(media):
            params[f"MediaUrl{n}"] = url
            params[f"MediaContentType{n}"] = content_type
        return self.webhook("/webhooks/twilio/sms", params, **kw)

    def status(self, sid: str, status: str, to: str, error_code: str | None = None, **kw: Any) -> httpx.Response:
        """What Twilio POSTs to our StatusCallback."""
        params = webhook_params(
            MessageSid=sid,
            SmsSid=sid,
            MessageStatus=status,
            SmsStatus=status,
            AccountSid=self.account_sid,
            From=self.number,
            To=to,
        )
        if error_code:
            params["ErrorCode"] = error_code
        return self.webhook("/webhooks/twilio/status", params, **kw)

    def conversation_of(self, sender: str) -> dict[str, Any]:
        found = [
            c
            for c in self.admin.get("/admin/api/convos?status=all").json()["conversations"]
            if c["contact"]["external_id"] == sender
        ]
        assert len(found) == 1, found
        return found[0]

    def reply(self, conversation_id: int, text: str) -> httpx.Response:
        return self.admin.post("/admin/api/send", {"conversation_id": conversation_id, "text": text})

    def requests(self, twilio: FakeTwilio) -> list[Any]:
        """Message sends with this shop's account (not the ownership check made when it was saved)."""
        return twilio.matching(f"/2010-04-01/Accounts/{self.account_sid}/Messages.json")


def sms_shop(server: LiveServer, twilio: FakeTwilio, public: str = PUBLIC) -> SmsShop:
    admin, _ = make_tenant(server)
    shop = SmsShop(server, admin, "AC" + secrets.token_hex(16), secrets.token_hex(16), phone(), public)
    twilio.add_account(shop.account_sid, shop.auth_token, shop.number)  # Twilio knows it before Handoff asks
    response = admin.patch(
        "/api/v1/tenant",
        {"channels": {"sms": {"account_sid": shop.account_sid, "auth_token": shop.auth_token, "number": shop.number}}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["channels"]["sms"]["configured"] is True
    return shop


def open_conversation(shop: SmsShop, sender: str | None = None) -> tuple[str, int]:
    sender = sender or phone()
    assert shop.text_in("Hi there", sender).status_code == 200
    return sender, shop.conversation_of(sender)["id"]
