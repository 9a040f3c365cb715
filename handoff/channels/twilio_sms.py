"""SMS and MMS through Twilio: webhook signatures, inbound messages and status callbacks, STOP/START
opt-out, and the outbound adapter. The webhook routes are in `handoff/web/twilio_webhooks.py`.

Inbound messages become `conversations.Inbound` (contact = the sender's number); staff replies leave
through the outbox, which calls `TwilioSms.deliver` with the official `twilio` client.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

import httpx
from fastapi import HTTPException, Request, status
from starlette.datastructures import FormData
from twilio.base import values
from twilio.base.exceptions import TwilioRestException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from handoff.context import AppContext
from handoff.conversations import csat
from handoff.conversations import service as conversations
from handoff.conversations.outbound import Delivery
from handoff.delivery import outbox
from handoff.store import channels, contacts

log = logging.getLogger("handoff.sms")

TWILIO_API = "https://api.twilio.com"
# Twilio's default opt-out keywords (single word, any case); the keyword message itself is still stored.
OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
KEYWORDS = sorted(OPT_OUT | OPT_IN)
# Twilio MessageStatus -> ours. Twilio's own queued/sending/accepted say nothing ours does not already.
STATUS_MAP = {"sent": "sent", "delivered": "delivered", "read": "read", "undelivered": "failed", "failed": "failed"}
# Status callbacks carry only ErrorCode; these are the common ones staff will meet.
ERROR_TEXT = {
    "21610": "Recipient has opted out (replied STOP)",
    "21614": "Not a mobile number",
    "30001": "Queue overflow",
    "30002": "Account suspended",
    "30003": "Unreachable destination handset",
    "30004": "Message blocked",
    "30005": "Unknown destination handset",
    "30006": "Landline or unreachable carrier",
    "30007": "Message filtered by the carrier",
    "30008": "Unknown error",
    "30034": "Sender not registered for A2P 10DLC",
}
OPTED_OUT_PROBLEM = (
    "This contact replied STOP and has opted out of SMS; they must text START before you can message them."
)
NOT_CONNECTED_PROBLEM = "SMS is not connected for this business: add the Twilio number and credentials in Settings."


# ---- inbound ---------------------------------------------------------------------------------------


async def sms_account(ctx: AppContext, number: str | None, account_sid: str | None = None) -> channels.Account:
    """The account owning a Twilio number (or, failing that, a Twilio account); 404 when none does."""

    def find(conn: sqlite3.Connection) -> channels.Account | None:
        found = channels.by_address(conn, ctx.secrets, "sms", number) if number else None
        if found is None and account_sid:
            found = channels.sms_by_account_sid(conn, ctx.secrets, account_sid)
        return found

    account = await ctx.db.read(find)
    if account is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no business uses this Twilio number")
    return account


def signed_url(ctx: AppContext, request: Request) -> str:
    """The URL Twilio requested: behind a TLS-terminating proxy the request URL is the internal one, so
    PUBLIC_BASE_URL (when set) plus the path is what Twilio signed."""
    if not ctx.settings.public_base_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{ctx.settings.public_base_url}{request.url.path}{query}"


async def verified_form(ctx: AppContext, request: Request, *, inbound: bool) -> tuple[int, FormData]:
    """Parse the webhook form, find its tenant and check `X-Twilio-Signature` with that tenant's token.

    Inbound messages belong to the tenant of the `To` number, and only to it; a status callback names our
    number as `From` (or, if the tenant has since changed numbers, at least its Twilio account)."""
    form = await request.form()
    if inbound:
        account = await sms_account(ctx, _field(form, "To"))
    else:
        account = await sms_account(ctx, _field(form, "From"), _field(form, "AccountSid"))
    signature = request.headers.get("X-Twilio-Signature", "")
    token = account.config.get("auth_token") or ""
    url = signed_url(ctx, request)
    if not (signature and token and RequestValidator(token).validate(url, form, signature)):
        log.warning("Twilio webhook %s refused: bad signature", request.url.path)
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid Twilio signature")
    base = f"{request.url.scheme}://{request.url.netloc}"
    if not ctx.settings.public_base_url and base != account.callback_base:
        # Signed with this tenant's token over this very URL, so its origin is how Twilio reaches this
        # tenant: its StatusCallback base, and only its own (the Host header is the sender's to choose).
        await ctx.db.write(lambda c: channels.learn_callback_base(c, account.tenant_id, base))
    return account.tenant_id, form


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def media_of(form: FormData) -> list[dict[str, Any]]:
    """MMS media as attachments: `MediaUrl{N}` with `MediaContentType{N}` for N below `NumMedia`."""
    try:
        count = min(int(_field(form, "NumMedia") or 0), 10)
    except ValueError:
        count = 0
    media = []
    for n in range(count):
        url = _field(form, f"MediaUrl{n}")
        if url:
            media.append({"url": url, "content_type": _field(form, f"MediaContentType{n}") or None})
    return media


async def receive_sms(ctx: AppContext, tenant_id: int, form: FormData) -> None:
    """Inbound SMS/MMS of a verified form: stored once per MessageSid; STOP/START applied."""
    sid = _field(form, "MessageSid") or _field(form, "SmsMessageSid")
    sender = _field(form, "From")
    if not sid or not sender:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "MessageSid and From are required")
    text = _field(form, "Body") or ""
    if not media_of(form) and await csat.take_reply(ctx, tenant_id, "sms", sender, text, sid):
        return  # the answer to a satisfaction survey, not a new conversation
    stored = await conversations.receive(
        ctx,
        conversations.Inbound(
            tenant_id=tenant_id,
            channel="sms",
            contact_key=sender,
            text=text,
            external_id=sid,
            attachments=media_of(form) or None,
            phone=sender,
        ),
    )
    keyword = text.strip().upper()
    if keyword in OPT_OUT or keyword in OPT_IN:
        # Applied on retries too (a crash may have come between storing and this), unless a newer keyword
        # from the same contact already decided the state.
        await set_opted_out(ctx, tenant_id, sender, stored.message, opted_out=keyword in OPT_OUT)


async def set_opted_out(
    ctx: AppContext, tenant_id: int, sender: str, message: dict[str, Any], *, opted_out: bool
) -> None:
    def write(conn: sqlite3.Connection) -> dict[str, Any] | None:
        # The number's own contact: after a merge its message may sit in a thread of another address.
        contact_id, was_opted_out = contacts.opt_out_of_address(conn, tenant_id, "sms", sender)
        if was_opted_out == opted_out or contacts.keyword_after(conn, contact_id, message["id"], KEYWORDS):
            return None
        contacts.set_opted_out(conn, contact_id, opted_out)
        return conversations.load_for_publish(conn, tenant_id, message["conversation_id"])

    conversation = await ctx.db.write(write)
    if conversation is not None:
        conversations.announce_update(ctx, conversation)


async def record_delivery_status(ctx: AppContext, tenant_id: int, form: FormData) -> None:
    """A verified status callback: applied forward only and shown to staff live. A MessageSid we do not
    know (yet) is kept until the send records it."""
    sid = _field(form, "MessageSid") or _field(form, "SmsSid")
    ours = STATUS_MAP.get((_field(form, "MessageStatus") or _field(form, "SmsStatus") or "").lower())
    if sid and ours:
        error = None
        if ours == "failed":
            code = _field(form, "ErrorCode") or ""
            reported = _field(form, "MessageStatus") or "failed"
            error = f"{code}: {ERROR_TEXT.get(code, f'Twilio reported the message {reported}')}" if code else reported
        changes = await ctx.db.write(lambda c: outbox.record_status(c, tenant_id, "sms", sid, ours, error))
        outbox.announce_changes(ctx, changes)


# ---- outbound ---------------------------------------------------------------------------------------


class TwilioTransport(AsyncHttpClient):  # type: ignore[misc]  # twilio ships no type hints
    """twilio-python's HTTP hook, backed by the outbox's shared httpx client: sends to TWILIO_API_BASE
    instead of api.twilio.com, and keeps the last response so a 429's `Retry-After` is not lost."""

    def __init__(self, http: httpx.AsyncClient, api_base: str) -> None:
        super().__init__(logger=log, is_async=True)
        self.http = http
        self.api_base = api_base.rstrip("/")
        self.last_response: TwilioResponse | None = None

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - twilio's HttpClient signature
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        if uri.startswith(TWILIO_API):
            uri = self.api_base + uri[len(TWILIO_API) :]
        response = await self.http.request(
            method,
            uri,
            params=params,  # type: ignore[arg-type]
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            follow_redirects=allow_redirects,
        )
        self.last_response = TwilioResponse(response.status_code, response.text, response.headers)
        return self.last_response


def failure(exc: TwilioRestException, response: TwilioResponse | None) -> Delivery:
    """429 and 5xx are worth retrying; every other 4xx (21211 invalid number, 21610 opted out, 21614 not
    a mobile...) fails at once with Twilio's code and message."""
    code: Any = exc.code
    text = exc.msg
    try:
        body = json.loads(response.text) if response is not None else {}
        code, text = body.get("code", code), body.get("message", text)
    except (ValueError, AttributeError):
        pass
    retry = exc.status == 429 or exc.status >= 500
    headers = response.headers if response is not None and response.headers is not None else {}
    return Delivery(
        error=f"{code}: {text}",
        retry=retry,
        retry_after=outbox.retry_after_seconds(headers.get("Retry-After")) if retry else None,
    )


async def mark_opted_out(ctx: AppContext, contact: sqlite3.Row, message: dict[str, Any]) -> None:
    def write(conn: sqlite3.Connection) -> dict[str, Any] | None:
        if not contacts.opt_out(conn, contact["id"]):
            return None
        return conversations.load_for_publish(conn, contact["tenant_id"], message["conversation_id"])

    conversation = await ctx.db.write(write)
    if conversation is not None:
        conversations.announce_update(ctx, conversation)


def connected(account: channels.Account | None) -> dict[str, Any] | None:
    """The account's config when it can send (all credentials present and readable), else None."""
    if account is None or not all(account.config.get(k) for k in ("account_sid", "auth_token", "number")):
        return None
    return account.config


class TwilioSms:
    name = "sms"

    def __init__(self) -> None:
        self._warned = False

    def send_problem(
        self, ctx: AppContext, conn: sqlite3.Connection, contact: sqlite3.Row, conversation: sqlite3.Row
    ) -> str | None:
        if contact["opted_out"]:
            return OPTED_OUT_PROBLEM
        if connected(channels.find(conn, ctx.secrets, conversation["tenant_id"], "sms")) is None:
            return NOT_CONNECTED_PROBLEM
        return None

    def status_callback(self, ctx: AppContext, account: channels.Account) -> str | None:
        """PUBLIC_BASE_URL's, or the base this tenant's own last signed webhook came in on."""
        base = ctx.settings.public_base_url or account.callback_base
        if not base:
            if not self._warned:
                log.warning(
                    "PUBLIC_BASE_URL is not set: outbound SMS of a tenant no Twilio webhook has reached yet are"
                    " sent without a StatusCallback"
                )
                self._warned = True
            return None
        return f"{base}/webhooks/twilio/status"

    async def deliver(self, ctx: AppContext, message: dict[str, Any], contact: sqlite3.Row) -> Delivery:
        account = await ctx.db.read(lambda c: channels.find(c, ctx.secrets, contact["tenant_id"], "sms"))
        config = connected(account)
        if account is None or config is None:
            return Delivery(error=NOT_CONNECTED_PROBLEM)
        transport = TwilioTransport(ctx.http, ctx.settings.twilio_api_base)
        client = Client(config["account_sid"], config["auth_token"], http_client=transport)
        try:
            created = await client.messages.create_async(
                to=contact["external_id"],
                from_=config["number"],
                body=message["text"],
                status_callback=self.status_callback(ctx, account) or values.unset,
            )
        except TwilioRestException as exc:
            delivery = failure(exc, transport.last_response)
            if str(exc.code) == "21610":  # Twilio knows they replied STOP (perhaps before we did): show it
                await mark_opted_out(ctx, contact, message)
            return delivery
        except httpx.HTTPError as exc:  # no answer: connection refused or reset, timeout
            return Delivery(error=f"network error talking to Twilio ({exc.__class__.__name__})", retry=True)
        if created.status in ("failed", "undelivered"):
            return Delivery(error=f"{created.error_code}: {created.error_message or created.status}")
        # Twilio answers `queued`; ours becomes `sent` (handed to the platform) and callbacks take it on.
        return Delivery(provider_id=created.sid)
