"""Delivering outgoing webhooks: the `webhook` job of the shared job queue (`handoff.delivery.jobs`), which
retries (first within 10 s, backing off to an hour), keeps each endpoint's deliveries of one conversation in
order, survives restarts and gives up after 24 hours.

One attempt: a JSON POST of the stored body, signed `sha256=<hex HMAC-SHA256(secret, timestamp + "." +
body)>` (docs/integrations.md), to the address `webhook_urls` checked. A 2xx is delivered; anything else, a
timeout or a connection error is retried. Every attempt is written to the delivery log. Nothing here runs on
a request's path: the receiver's speed only ever holds up this job, attempts are cut off after
WEBHOOK_TIMEOUT_SECONDS and at most WEBHOOK_CONCURRENCY run at once per process. The response body is never
read or stored (a receiver's or an internal service's answer never reaches the tenant).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ssl
import time
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

import httpx

from handoff.context import AppContext
from handoff.crypto import SecretUnreadable
from handoff.delivery import webhook_urls
from handoff.delivery.jobs import Fail, Job, Retry, register
from handoff.store import webhook_queue
from handoff.store import webhooks as store

JOB_KIND = webhook_queue.JOB_KIND
USER_AGENT = "Handoff-Webhooks/1.0"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Handoff-Signature value for a body sent at `timestamp` (Unix seconds, as sent)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class _Shared:
    """Per process: the concurrency gate (per event loop: unit tests run several) and one TLS context."""

    gates: ClassVar[dict[int, asyncio.Semaphore]] = {}
    tls: ClassVar[ssl.SSLContext | None] = None


def _gate(size: int) -> asyncio.Semaphore:
    loop_id = id(asyncio.get_running_loop())
    gate = _Shared.gates.get(loop_id)
    if gate is None:
        gate = _Shared.gates[loop_id] = asyncio.Semaphore(max(1, size))
    return gate


def _tls() -> ssl.SSLContext:
    if _Shared.tls is None:
        _Shared.tls = httpx.create_ssl_context()  # loading the CA store costs; once per process
    return _Shared.tls


async def deliver(ctx: AppContext, job: Job) -> None:
    """One attempt at one delivery; returns when delivered, raises Retry or Fail otherwise."""
    delivery_id = int(job.payload["delivery_id"])
    row = await ctx.db.read(partial(store.for_attempt, delivery_id=delivery_id))
    if row is None:
        return  # its endpoint was deleted: nothing to deliver, nobody to tell
    if not row["active"]:
        await _record(ctx, delivery_id, None, "the endpoint is disabled", 0, "failed")
        raise Fail("the endpoint is disabled")
    try:
        secret = ctx.secrets.open(row["secret"])
    except SecretUnreadable:
        await _record(ctx, delivery_id, None, "the signing secret cannot be read (JWT_SECRET changed)", 0, "failed")
        raise Fail("the signing secret cannot be read") from None
    settings = ctx.settings
    async with _gate(settings.webhook_concurrency):
        started = time.monotonic()
        try:
            target = await webhook_urls.resolve(row["url"], block_private=settings.webhook_block_private)
        except webhook_urls.Refused as exc:
            await _record(ctx, delivery_id, None, str(exc), 0, "failed")
            raise Fail(str(exc)) from None
        message = _Message(row["event"], row["uid"], row["body"].encode())
        status, error = await _post(target, message, secret, settings.webhook_timeout_seconds)
        elapsed = int((time.monotonic() - started) * 1000)
    if status is not None and 200 <= status < 300:
        await _record(ctx, delivery_id, status, None, elapsed, "delivered")
        return
    reason = error or f"the receiver answered {status}"
    await _record(ctx, delivery_id, status, reason, elapsed, "retry")
    raise Retry(reason)


@dataclass(frozen=True)
class _Message:
    event: str
    uid: str
    body: bytes


async def _post(
    target: webhook_urls.Target, message: _Message, secret: str, seconds: float
) -> tuple[int | None, str | None]:
    """(status code, None) or (None, what went wrong); the response body is not read."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Host": target.host_header,
        "X-Handoff-Event": message.event,
        "X-Handoff-Delivery": message.uid,
        "X-Handoff-Timestamp": timestamp,
        "X-Handoff-Signature": signature(secret, timestamp, message.body),
    }
    extensions = {"sni_hostname": target.sni_hostname} if target.url.startswith("https:") else {}
    try:
        async with (
            asyncio.timeout(seconds),
            httpx.AsyncClient(verify=_tls(), timeout=seconds, follow_redirects=False, trust_env=False) as client,
            client.stream("POST", target.url, content=message.body, headers=headers, extensions=extensions) as response,
        ):
            return response.status_code, None
    except (TimeoutError, httpx.TimeoutException):
        return None, f"no answer within {seconds:g} s"
    except httpx.HTTPError as exc:
        return None, f"cannot connect: {type(exc).__name__}"


async def _record(
    ctx: AppContext, delivery_id: int, status: int | None, error: str | None, elapsed_ms: int, outcome: str
) -> None:
    await ctx.db.write(
        partial(
            store.record_attempt,
            delivery_id=delivery_id,
            status_code=status,
            error=error,
            duration_ms=elapsed_ms,
            outcome=outcome,
        )
    )


register(webhook_queue.JOB_KIND, deliver)
