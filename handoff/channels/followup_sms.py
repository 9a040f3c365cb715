"""A follow-up answered by SMS: a durable job of kind "followup_sms" that texts the phone the visitor left,
from the tenant's Twilio number. Not a conversation message (the visitor never texted us), so it does not go
through the outbox; the job queue retries it (429, 5xx, no answer) and gives up on Twilio's refusals."""

from __future__ import annotations

import logging
import sqlite3

import httpx
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from handoff.channels.twilio_sms import TwilioTransport, connected, failure
from handoff.context import AppContext
from handoff.delivery.jobs import Fail, Job, Retry, register
from handoff.store import channels, jobs

log = logging.getLogger("handoff.sms")
KIND = "followup_sms"


def sms_ready(ctx: AppContext, conn: sqlite3.Connection, tenant_id: int) -> bool:
    """Whether the tenant has a working SMS account (Twilio credentials and a number)."""
    return connected(channels.find(conn, ctx.secrets, tenant_id, "sms")) is not None


def queue_followup_sms(conn: sqlite3.Connection, tenant_id: int, phone: str, text: str) -> int:
    return jobs.enqueue(conn, tenant_id, KIND, {"to": phone, "text": text})


async def send_followup_sms(ctx: AppContext, job: Job) -> None:
    account = await ctx.db.read(lambda c: channels.find(c, ctx.secrets, job.tenant_id, "sms"))
    config = connected(account)
    if config is None:
        raise Fail("SMS is not connected")
    transport = TwilioTransport(ctx.http, ctx.settings.twilio_api_base)
    client = Client(config["account_sid"], config["auth_token"], http_client=transport)
    try:
        await client.messages.create_async(to=job.payload["to"], from_=config["number"], body=job.payload["text"])
    except TwilioRestException as exc:
        delivery = failure(exc, transport.last_response)
        if delivery.retry:
            raise Retry(delivery.error or "Twilio error", delivery.retry_after) from None
        raise Fail(delivery.error or "Twilio refused the message") from None
    except httpx.HTTPError as exc:
        raise Retry(f"network error talking to Twilio ({exc.__class__.__name__})") from None
    log.info("follow-up SMS job %s sent", job.id)


register(KIND, send_followup_sms)
