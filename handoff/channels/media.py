"""Fetch inbound MMS and Messenger media into our uploads (the `media.fetch` job).

The webhook stores the message with the platform's links and queues this job in the same transaction, so
it answers at once. The job downloads each link (Twilio's with the account's SID and token as HTTP basic
auth, following its redirect to the file), stores it as an upload of the message and announces the message
again, so staff transcripts swap the link for our file. Files over UPLOAD_MAX_BYTES or of a type uploads
refuse (video, audio...) keep their link; a network error or a 429/5xx retries (the job queue's backoff),
and when the queue gives up the link is what stays.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx

from handoff import uploads
from handoff.channels.twilio_sms import TWILIO_API
from handoff.context import AppContext
from handoff.conversations.service import announce, load_for_publish
from handoff.delivery.jobs import Job, Retry, register
from handoff.store import channels, media
from handoff.store import conversations as store

log = logging.getLogger("handoff.media")

EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
}


class Unusable(Exception):
    """This link will not give a file we keep (gone, refused, too large): it stays a link."""


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


async def twilio_auth(ctx: AppContext, tenant_id: int, url: str) -> tuple[str, str] | None:
    """The account's SID and token, only for a link on Twilio's API (never sent anywhere else)."""
    if origin(url) not in (origin(TWILIO_API), origin(ctx.settings.twilio_api_base)):
        return None
    account = await ctx.db.read(lambda c: channels.find(c, ctx.secrets, tenant_id, "sms"))
    if account is None or not account.config.get("account_sid") or not account.config.get("auth_token"):
        return None
    return str(account.config["account_sid"]), str(account.config["auth_token"])


async def download(ctx: AppContext, url: str, auth: tuple[str, str] | None) -> bytes:
    """The file at `url`, at most UPLOAD_MAX_BYTES. httpx drops the Authorization header on a redirect to
    another host (Twilio's file store), which is what Twilio expects."""
    limit = ctx.settings.upload_max_bytes
    try:
        async with ctx.http.stream("GET", url, auth=auth, follow_redirects=True) as response:
            if response.status_code == 429 or response.status_code >= 500:
                raise Retry(f"HTTP {response.status_code}")
            if response.status_code != 200:
                raise Unusable(f"HTTP {response.status_code}")
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > limit:
                    raise Unusable("larger than UPLOAD_MAX_BYTES")
            return bytes(data)
    except httpx.HTTPError as exc:  # the link may carry a token: log the class, never the URL
        raise Retry(f"network error ({exc.__class__.__name__})") from None


async def fetch_media(ctx: AppContext, job: Job) -> None:
    message_id = int(job.payload["message_id"])
    found = await ctx.db.read(lambda c: media.pending(c, job.tenant_id, message_id))
    if found is None:
        return  # the message (or its tenant) is gone
    channel, items = found
    retry: list[str] = []
    stored = False
    for index, item in enumerate(items):
        url = item.get("url")
        if "id" in item or not isinstance(url, str) or not url.startswith(("https://", "http://")):
            continue
        try:
            data = await download(ctx, url, await twilio_auth(ctx, job.tenant_id, url) if channel == "sms" else None)
        except Retry as exc:
            retry.append(f"file {index + 1}: {exc.reason}")
            continue
        except Unusable as exc:
            log.info("message %d: %s media %d kept as a link (%s)", message_id, channel, index + 1, exc)
            continue
        content_type = uploads.sniff(data) if data else None
        if content_type is None:
            log.info("message %d: %s media %d kept as a link (type not accepted)", message_id, channel, index + 1)
            continue
        upload = (f"{channel}-{message_id}-{index + 1}{EXTENSIONS[content_type]}", content_type, data)
        stored = (
            await ctx.db.write(
                partial(
                    media.store_fetched,
                    tenant_id=job.tenant_id,
                    message_id=message_id,
                    index=index,
                    url=url,
                    upload=upload,
                )
            )
            or stored
        )
    if stored:
        await announce_message(ctx, job.tenant_id, message_id)
    if retry:
        raise Retry("; ".join(retry))


async def announce_message(ctx: AppContext, tenant_id: int, message_id: int) -> None:
    """Staff transcripts upsert messages by id: the same message again, now with our files' links."""

    def read(conn: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        message = store.load_message(conn, message_id)
        if message is None:
            return None
        return message, load_for_publish(conn, tenant_id, message["conversation_id"])

    loaded = await ctx.db.read(read)
    if loaded is not None:
        announce(ctx, *loaded)


register(media.FETCH_KIND, fetch_media)
