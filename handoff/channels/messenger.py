"""Facebook Messenger: the webhook's logic (verify handshake, signed event batches) and the Send API adapter.
The webhook routes are in `handoff/web/messenger_webhooks.py`.

Customer messages become `conversations.Inbound` (contact = the Page-scoped user id, PSID); delivery and
read receipts move our outbound messages forward; staff replies leave through the outbox.

Echoes: Meta echoes every message the Page sends. Ours carry `metadata` "handoff:<message id>" (and their
mid is our provider id), so they are skipped. An echo without it was typed by a person in the Page's own
inbox (Meta Business Suite): it is stored as a staff message without author in the contact's open
conversation, so the transcript stays complete; with no open conversation it is ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import HTTPException, status

from handoff.context import AppContext
from handoff.conversations import csat
from handoff.conversations import service as conversations
from handoff.conversations.outbound import Delivery
from handoff.delivery import outbox
from handoff.store import channels, contacts, receipts
from handoff.store import conversations as store
from handoff.store.database import iso, parse_iso

log = logging.getLogger("handoff.messenger")

TEXT_LIMIT = 2000  # the Send API's limit for one text message
STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)  # with the HUMAN_AGENT tag (the app needs that permission)
# Graph error codes worth retrying: unknown/temporary (1, 2), rate limits (4, 17, 32, 613), send failure (1200).
RETRYABLE_CODES = frozenset({1, 2, 4, 17, 32, 341, 613, 1200})
METADATA_PREFIX = "handoff:"
# Receipts carry Meta's time; ours is when the send began, so allow a little clock skew.
WATERMARK_SLACK = timedelta(seconds=1)
NOT_CONNECTED_PROBLEM = "Messenger is not connected for this business: add the Page id and access token in Settings."
NEVER_WROTE_PROBLEM = "This person has not messaged the Page; Messenger only allows replies to people who wrote first."
WINDOW_CLOSED_PROBLEM = (
    "The customer last wrote more than 7 days ago; Messenger does not allow a reply until they write again."
)
MIME_FAMILY = {"image": "image/*", "video": "video/*", "audio": "audio/*"}


# ---- the messaging window ---------------------------------------------------------------------------


def window(last_customer_message_at: str | None, now: datetime | None = None) -> dict[str, str] | str:
    """The Send API fields allowed now (a dict), or why nothing may be sent (a str)."""
    if not last_customer_message_at:
        return NEVER_WROTE_PROBLEM
    age = (now or datetime.now(UTC)) - parse_iso(last_customer_message_at)
    if age <= STANDARD_WINDOW:
        return {"messaging_type": "RESPONSE"}
    if age <= HUMAN_AGENT_WINDOW:
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    return WINDOW_CLOSED_PROBLEM


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split on whitespace into parts of at most `limit` characters (a word longer than that is cut)."""
    parts, rest = [], text.strip()
    while len(rest) > limit:
        cut = max((m.start() for m in re.finditer(r"\s", rest[: limit + 1])), default=0)
        part = rest[:cut].rstrip() if cut > 0 else ""
        if not part:
            part, cut = rest[:limit], limit
        parts.append(part)
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


# ---- inbound ---------------------------------------------------------------------------------------


async def messenger_accounts(ctx: AppContext) -> list[tuple[int, dict[str, Any]]]:
    accounts = await ctx.db.read(lambda c: channels.all_of(c, ctx.secrets, "messenger"))
    return [(account.tenant_id, account.config) for account in accounts]


async def page_token(ctx: AppContext, tenant_id: int) -> str | None:
    account = await ctx.db.read(lambda c: channels.find(c, ctx.secrets, tenant_id, "messenger"))
    return account.config.get("page_access_token") if account else None


async def verified_challenge(ctx: AppContext, params: Mapping[str, str]) -> str | None:
    """Meta's subscription handshake: `hub.challenge` when `hub.verify_token` is one of ours, else None."""
    token = params.get("hub.verify_token", "")
    if params.get("hub.mode") == "subscribe" and token:
        for _, config in await messenger_accounts(ctx):
            expected = config.get("verify_token") or ""
            if expected and hmac.compare_digest(expected.encode(), token.encode()):
                return params.get("hub.challenge", "")
    return None


def signature_ok(header: str, body: bytes, app_secret: str) -> bool:
    """`X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the raw body with the app secret."""
    if not header.startswith("sha256=") or not app_secret:
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256=") :].strip().lower())


async def receive_batch(ctx: AppContext, header: str, body: bytes) -> None:
    """A batch of Page events with its `X-Hub-Signature-256` header: every entry and every messaging event
    in it is processed. Raises 403 for a bad signature, 400 for a body that is not an event, 404 for a Page
    no business uses."""
    # The signature is checked on the raw bytes before anything parses them, so an unsigned body costs one
    # HMAC per connected app and never a JSON parse. Which secrets signed it is all we learn here.
    known = await messenger_accounts(ctx)
    signed_by = {s for s in {c.get("app_secret") or "" for _, c in known} if signature_ok(header, body, s)}
    if not signed_by:
        log.warning("Messenger webhook refused: bad signature")
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid X-Hub-Signature-256")
    try:
        payload = json.loads(body)
        entries = (
            [e for e in payload.get("entry", []) if isinstance(e, dict)] if payload.get("object") == "page" else []
        )
    except (ValueError, AttributeError, RecursionError):  # RecursionError: nesting deeper than json can go
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "body must be a Messenger webhook event") from None
    pages = {str(e.get("id")) for e in entries}
    accounts = {
        config.get("page_id"): (tenant_id, config) for tenant_id, config in known if config.get("page_id") in pages
    }
    if not accounts:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no business uses this Facebook Page")
    # The body is signed once with the app's secret; every page we act for must vouch for it.
    if not all((config.get("app_secret") or "") in signed_by for _, config in accounts.values()):
        log.warning("Messenger webhook refused: signed for another page")
        raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid X-Hub-Signature-256")
    for entry in entries:
        account = accounts.get(str(entry.get("id")))
        if account is None:
            continue
        for event in entry.get("messaging") or []:
            try:
                await handle_event(ctx, account[0], event)
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError):  # e.g. an absurd watermark
                log.warning("skipped a malformed Messenger event")


async def handle_event(ctx: AppContext, tenant_id: int, event: dict[str, Any]) -> None:
    sender, recipient = str(event["sender"]["id"]), str(event["recipient"]["id"])
    if "message" in event:
        message = event["message"]
        if message.get("is_echo"):
            await page_echo(ctx, tenant_id, recipient, message)
            return
        attachments = attachments_of(message)
        text = message.get("text") or ""
        if not text and not attachments:
            text = "[unsupported message]"
        if not attachments and await csat.take_reply(ctx, tenant_id, "messenger", sender, text, str(message["mid"])):
            return  # the answer to a satisfaction survey, not a new conversation
        await conversations.receive(
            ctx,
            conversations.Inbound(
                tenant_id=tenant_id,
                channel="messenger",
                contact_key=sender,
                text=text,
                external_id=str(message["mid"]),
                attachments=attachments or None,
            ),
        )
    elif "postback" in event:  # a tapped button (e.g. "Get Started"): the customer said something
        postback = event["postback"]
        await conversations.receive(
            ctx,
            conversations.Inbound(
                tenant_id=tenant_id,
                channel="messenger",
                contact_key=sender,
                text=str(postback.get("title") or postback.get("payload") or "[button]"),
                external_id=str(postback.get("mid") or f"postback:{sender}:{event.get('timestamp')}"),
            ),
        )
    elif "delivery" in event:
        await receipt(ctx, tenant_id, sender, "delivered", event["delivery"])
    elif "read" in event:
        await receipt(ctx, tenant_id, sender, "read", event["read"])


def attachments_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in message.get("attachments") or []:
        kind = str(item.get("type") or "file")
        url = (item.get("payload") or {}).get("url") or item.get("url")
        if url:
            out.append({"url": url, "type": kind, "content_type": MIME_FAMILY.get(kind)})
    return out


async def page_echo(ctx: AppContext, tenant_id: int, psid: str, message: dict[str, Any]) -> None:
    """A message the Page sent: ours are skipped; one typed in the Page inbox joins the open conversation."""
    if str(message.get("metadata") or "").startswith(METADATA_PREFIX):
        return
    mid = str(message["mid"])
    text = message.get("text") or ""
    attachments = attachments_of(message)

    def write(conn: sqlite3.Connection) -> tuple[dict[str, Any], dict[str, Any]] | None:
        if receipts.has_provider_id(conn, "messenger", mid):
            return None
        if store.find_by_external_id(conn, tenant_id, "messenger", mid):
            return None
        contact = store.find_contact(conn, tenant_id, "messenger", psid)
        conversation = store.open_conversation_of(conn, contact["id"]) if contact else None
        if contact is None or conversation is None:
            return None
        stored = store.insert_message(
            conn, conversation, "staff", text, external_id=mid, status="sent", attachments=attachments or None
        )
        # Its mid is also its provider id, so delivery and read receipts apply to it like to our own sends.
        receipts.set_provider_id(conn, stored.message["id"], mid)
        return stored.message, store.conversation_of(conn, stored.conversation, contact, stored.message)

    # Meta may deliver one echo twice, to two processes at once: the second run after the unique mid's
    # conflict finds the first's message and stores nothing (database work only, so safe to run again).
    outcome = await ctx.db.write(write, retry=True)
    if outcome is not None:
        conversations.announce(ctx, *outcome)


async def receipt(ctx: AppContext, tenant_id: int, psid: str, new: str, data: dict[str, Any]) -> None:
    """`delivery` (mids and/or watermark) and `read` (watermark): everything we sent this person up to the
    watermark has reached that state. Forward only."""
    mids = [str(m) for m in data.get("mids") or []]
    watermark = data.get("watermark")
    cutoff = (
        iso(datetime.fromtimestamp(int(watermark) / 1000, UTC) + WATERMARK_SLACK) if watermark is not None else None
    )
    earlier = ("sent",) if new == "delivered" else ("sent", "delivered")

    def write(conn: sqlite3.Connection) -> outbox.Published:
        changes = []
        for mid in mids:
            changes += outbox.record_status(conn, tenant_id, "messenger", mid, new)
        contact = store.find_contact(conn, tenant_id, "messenger", psid)
        if cutoff is None or contact is None:
            return changes
        reached = receipts.staff_messages_sent_by(conn, contact["id"], earlier, cutoff)
        ids = [message_id for message_id, old in reached if outbox.set_status(conn, message_id, old, new, None)]
        return changes + outbox.changed(conn, tenant_id, ids)

    outbox.announce_changes(ctx, await ctx.db.write(write))


# ---- outbound ---------------------------------------------------------------------------------------


def graph_failure(response: httpx.Response, part: str) -> Delivery:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    code = error.get("code")
    subcode = f" ({error['error_subcode']})" if error.get("error_subcode") else ""
    text = error.get("message") or f"HTTP {response.status_code}"
    retry = response.status_code == 429 or response.status_code >= 500 or code in RETRYABLE_CODES
    return Delivery(
        error=f"{code if code is not None else response.status_code}{subcode}: {text}{part}",
        retry=retry,
        retry_after=outbox.retry_after_seconds(response.headers.get("Retry-After")) if retry else None,
    )


class Messenger:
    name = "messenger"

    def send_problem(
        self, ctx: AppContext, conn: sqlite3.Connection, contact: sqlite3.Row, conversation: sqlite3.Row
    ) -> str | None:
        account = channels.find(conn, ctx.secrets, conversation["tenant_id"], "messenger")
        if not (account and account.config.get("page_access_token")):
            return NOT_CONNECTED_PROBLEM
        allowed = window(contacts.last_customer_message_at(conn, contact["id"]))
        return allowed if isinstance(allowed, str) else None

    async def deliver(self, ctx: AppContext, message: dict[str, Any], contact: sqlite3.Row) -> Delivery:
        token = await page_token(ctx, contact["tenant_id"])
        if not token:
            return Delivery(error=NOT_CONNECTED_PROBLEM)
        allowed = window(await ctx.db.read(lambda c: contacts.last_customer_message_at(c, contact["id"])))
        if isinstance(allowed, str):
            return Delivery(error=allowed)
        parts = split_text(message["text"])
        progress = await outbox.load_progress(ctx, message["id"])  # parts that went on an earlier attempt
        first_mid = progress.get("first_mid")
        http = ctx.http
        url = f"{ctx.settings.graph_api_base}/me/messages"
        for index in range(int(progress.get("parts", 0)), len(parts)):
            body = {
                "recipient": {"id": contact["external_id"]},
                **allowed,
                "message": {"text": parts[index], "metadata": f"{METADATA_PREFIX}{message['id']}"},
            }
            label = f" (part {index + 1} of {len(parts)})" if len(parts) > 1 else ""
            try:
                response = await http.post(url, params={"access_token": token}, json=body)
            except httpx.HTTPError as exc:  # the token is in the URL: log the class, never the request
                return Delivery(
                    error=f"network error talking to Messenger ({exc.__class__.__name__}){label}", retry=True
                )
            if response.status_code != 200:
                return graph_failure(response, label)
            first_mid = first_mid or str(response.json()["message_id"])
            if index + 1 < len(parts):
                await outbox.save_progress(ctx, message["id"], {"parts": index + 1, "first_mid": first_mid})
        return Delivery(provider_id=first_mid)
