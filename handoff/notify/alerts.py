"""Alerting team members who are not looking: who gets told, on which channels, and how often.

`queue_alert` is the one entry point. The caller runs it inside the write that caused the alert (an
assignment, a mention, an escalation, a follow-up), so the alert commits with its cause, as one durable job of
kind "alert"; then calls `ctx.wake_jobs()`. That job decides on the event loop, where the hub's presence lives
(every process's staff sockets, through the backplane): for each member with no staff socket, for each
channel in DELIVERERS that their preferences allow and the throttle (one alert per conversation per member
per channel in 10 minutes) lets through, the channel's deliverer queues its own delivery job.

A channel plugs in by adding a deliverer: `DELIVERERS["push"] = queue_push_alert`, with the signature
`(conn, tenant_id, user_id, title, body, url) -> Any`, run inside the alert job's write (the member's
preference of the same name is honoured, and `AVAILABLE["push"]` may say when the server cannot push)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from handoff.context import AppContext
from handoff.delivery.jobs import Job, register
from handoff.notify import mail, push
from handoff.store import alerts as store
from handoff.store import jobs
from handoff.store.database import iso

KIND = "alert"
THROTTLE_SECONDS = 600.0
Reason = Literal["assigned", "mentioned", "escalated", "followup"]
Deliverer = Callable[[sqlite3.Connection, int, int, str, str, str], Any]


def queue_email_alert(conn: sqlite3.Connection, tenant_id: int, user_id: int, title: str, body: str, url: str) -> Any:
    """The email deliverer: one email job to the member's address."""
    found = store.recipients(conn, tenant_id, [user_id])
    if not found:
        return None
    return mail.queue_email(
        conn, tenant_id, found[0]["email"], title, "alert", {"title": title, "body": body, "url": url}
    )


def queue_push(conn: sqlite3.Connection, tenant_id: int, user_id: int, title: str, body: str, url: str) -> Any:
    """The Web Push deliverer: one push per browser the member subscribed. A notification opens its link in the
    admin app, relative to the app when the server does not know its public address."""
    return push.queue_push_alert(conn, tenant_id, user_id, title, body, url)


DELIVERERS: dict[str, Deliverer] = {"email": queue_email_alert, "push": queue_push}
# Whether a channel can deliver on this server at all (a channel not listed always can): no job is queued
# for a channel that could only fail.
AVAILABLE: dict[str, Callable[[AppContext], bool]] = {"email": mail.configured}


def queue_alert(
    conn: sqlite3.Connection,
    tenant_id: int,
    reason: Reason,
    *,
    user_ids: list[int] | None,
    title: str,
    body: str,
    conversation_id: int | None = None,
    path: str = "",
) -> int:
    """Queue an alert for `user_ids` (None: the tenant's admins) in the caller's transaction. `path` is the
    admin app's address of the thing (`/admin-app/#/inbox/12`); `conversation_id` keys the throttle."""
    payload = {
        "reason": reason,
        "user_ids": user_ids,
        "title": title,
        "body": body[:1000],
        "conversation_id": conversation_id,
        "path": path,
    }
    return jobs.enqueue(conn, tenant_id, KIND, payload)


def _always(ctx: AppContext) -> bool:
    return True


def queue_assigned(conn: sqlite3.Connection, tenant_id: int, assignee: int, conversation_id: int, *, by: str) -> int:
    """The assignee's alert (email, push when they are not signed in), queued with the assignment's write;
    `by` is who assigned it (a teammate's name, or "Auto-assignment")."""
    return queue_alert(
        conn,
        tenant_id,
        "assigned",
        user_ids=[assignee],
        title=f"Conversation #{conversation_id} was assigned to you",
        body=f"{by} assigned you conversation #{conversation_id}.",
        conversation_id=conversation_id,
        path=f"/admin-app/#/inbox/{conversation_id}",
    )


def link(ctx: AppContext, path: str) -> str:
    """An absolute link when the server knows its address (PUBLIC_BASE_URL), else none."""
    base = ctx.settings.public_base_url
    return f"{base}{path}" if base and path else ""


async def deliver_alert(ctx: AppContext, job: Job) -> None:
    """The alert job: members online now are skipped; the rest get each allowed channel's delivery."""
    p = job.payload
    online = ctx.hub.online_user_ids(job.tenant_id)
    url = link(ctx, p.get("path") or "")
    channels = {name: deliver for name, deliver in DELIVERERS.items() if AVAILABLE.get(name, _always)(ctx)}
    if not channels:
        return

    def write(conn: sqlite3.Connection) -> int:
        ids = p["user_ids"] if p["user_ids"] is not None else store.admin_ids(conn, job.tenant_id)
        now = datetime.now(UTC)
        cutoff = iso(now - timedelta(seconds=THROTTLE_SECONDS))
        queued = 0
        for member in store.recipients(conn, job.tenant_id, [i for i in ids if i not in online]):
            for channel, deliver in channels.items():
                if not member["prefs"].get(channel, True):
                    continue
                throttled = p["conversation_id"] is not None
                if throttled and not store.take_slot(
                    conn, member["id"], p["conversation_id"], channel, iso(now), cutoff
                ):
                    continue
                where = url or (p.get("path") or "" if channel == "push" else "")
                deliver(conn, job.tenant_id, member["id"], p["title"], p["body"], where)
                queued += 1
        return queued

    if await ctx.db.write(write):
        ctx.wake_jobs()


register(KIND, deliver_alert)
