"""Web Push alerts to staff browsers: `queue_push_alert` queues one "push" job per subscribed browser of a
user (in the caller's transaction), and `send_push`, the job's handler, encrypts the payload for that
browser (aes128gcm, RFC 8291, with pywebpush's helper), signs a VAPID token and POSTs it to the browser's
push service. 404/410 from the push service means the subscription is gone: its row is deleted. Network
errors, 429 and 5xx are retried by the job queue; other answers stop the job.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from urllib.parse import urlsplit

import httpx
from py_vapid import VapidException
from pywebpush import WebPusher, WebPushException

from handoff.context import AppContext
from handoff.crypto import SecretUnreadable
from handoff.delivery.jobs import Fail, Job, Retry, register
from handoff.notify import vapid
from handoff.store import jobs
from handoff.store import push as store
from handoff.store.users import is_active_user

log = logging.getLogger("handoff.push")

KIND = "push"
# An alert is worth showing for a few hours: the push service keeps it that long for a browser that is
# offline, and the queue stops retrying a push service that keeps failing after an hour.
TTL_SECONDS = 4 * 3600
GIVE_UP_SECONDS = 3600
TITLE_CHARS = 120
BODY_CHARS = 300
URL_CHARS = 300
# The push services take at most 4096 bytes; aes128gcm adds 86 to the plaintext (header and tag), and
# the limits above keep an alert well under this.
MAX_PLAINTEXT = 3000
SEND_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
RETRY_AFTER_CAP = 3600.0


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def alert_payload(title: str, body: str, url: str) -> dict[str, str]:
    """What the service worker shows: a title, a line of text, and the app path it opens when clicked
    (a path on this server only; anything else opens the inbox)."""
    path = url if url.startswith("/") and not url.startswith("//") and len(url) <= URL_CHARS else "/admin-app/"
    return {"title": _clip(title, TITLE_CHARS), "body": _clip(body, BODY_CHARS), "url": path}


def queue_push_alert(conn: sqlite3.Connection, tenant_id: int, user_id: int, title: str, body: str, url: str) -> int:
    """Queue the alert for each browser the user subscribed, in the caller's transaction (call
    `ctx.wake_jobs()` after it commits). The number of pushes queued: 0 without a subscription."""
    if not is_active_user(conn, tenant_id, user_id):
        return 0
    payload = alert_payload(title, body, url)
    queued = 0
    for subscription in store.of_user(conn, tenant_id, user_id):
        jobs.enqueue(
            conn,
            tenant_id,
            KIND,
            {"subscription_id": subscription.id, **payload},
            give_up_after_seconds=GIVE_UP_SECONDS,
        )
        queued += 1
    return queued


def encrypted_request(
    subscription: store.Subscription, keys: vapid.VapidKeys, message: dict[str, str], subject: str
) -> tuple[bytes, dict[str, str]]:
    """The request body (the message encrypted for this browser) and headers (CPU work: run in a thread)."""
    plaintext = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    if len(plaintext) > MAX_PLAINTEXT:
        raise Fail(f"alert of {len(plaintext)} bytes is too large for Web Push")
    try:
        pusher = WebPusher(
            {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
        )
        body: bytes = pusher.encode(plaintext, "aes128gcm")["body"]
        authorization = vapid.authorization(keys, subscription.endpoint, subject)
    except (WebPushException, VapidException, ValueError) as exc:  # a stored key or setting no retry will fix
        raise Fail(f"cannot prepare the push: {type(exc).__name__}: {exc}") from None
    headers = {
        "Authorization": authorization,
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(TTL_SECONDS),
        "Urgency": "high",
    }
    return body, headers


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "").strip()
    return min(float(raw), RETRY_AFTER_CAP) if raw.isdigit() else None


async def send_push(ctx: AppContext, job: Job) -> None:
    """The "push" job: one alert to one subscribed browser."""
    subscription_id = int(job.payload["subscription_id"])

    def read(conn: sqlite3.Connection) -> tuple[store.Subscription | None, vapid.VapidKeys | None]:
        found = store.get(conn, job.tenant_id, subscription_id)
        if found is None or not is_active_user(conn, job.tenant_id, found.user_id):
            return None, None
        return found, vapid.load(conn, ctx.secrets)

    try:
        subscription, keys = await ctx.db.read(read)
    except SecretUnreadable:
        raise Fail("the stored Web Push key cannot be opened (JWT_SECRET changed)") from None
    if subscription is None:
        return  # unsubscribed (or the member disabled) since it was queued: nothing to send
    if keys is None:
        raise Retry("no Web Push key stored yet")
    message = {k: str(job.payload.get(k, "")) for k in ("title", "body", "url")}
    body, headers = await asyncio.to_thread(encrypted_request, subscription, keys, message, ctx.settings.push_subject)
    # The endpoint is a capability URL: only its host goes into logs and job errors.
    host = urlsplit(subscription.endpoint).hostname
    try:
        response = await ctx.http.post(subscription.endpoint, content=body, headers=headers, timeout=SEND_TIMEOUT)
    except httpx.HTTPError as exc:
        raise Retry(f"push service {host} unreachable: {type(exc).__name__}") from None
    status = response.status_code
    if 200 <= status < 300:
        await ctx.db.write(lambda conn: store.succeeded(conn, subscription.id))
        return
    if status in (404, 410):
        await ctx.db.write(lambda conn: store.forget(conn, subscription.id))
        log.info("push subscription %d removed: %s answered %d", subscription.id, host, status)
        return
    if status == 429 or status >= 500:
        raise Retry(f"push service {host} answered {status}", after=_retry_after(response))
    raise Fail(f"push service {host} refused the push: {status}")


register(KIND, send_push)
