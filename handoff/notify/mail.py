"""Email: queued in the caller's transaction as a durable job of kind "email", rendered and sent by the job
queue (never from a request), with a plain-text and an HTML part from the Jinja2 templates beside this file.

A job's payload names a template and its context; the text is rendered when it is sent. A template whose
context needs a secret (the password-reset link) registers a hook that adds it then, so no secret is
stored in the jobs table."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from handoff.context import AppContext
from handoff.delivery.jobs import Fail, Job, Retry, register
from handoff.notify import smtp
from handoff.store import jobs

log = logging.getLogger("handoff.email")
KIND = "email"
TEMPLATES = ("alert", "transcript", "reply", "password_reset", "test")

# Autoescaping on for the HTML part (a visitor's "<b>" arrives as text); the plain part is not HTML.
_html = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)
_text = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=False,  # noqa: S701 - the plain-text part is not HTML; the HTML part escapes
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)
ContextHook = Callable[[AppContext, Job, dict[str, Any]], Awaitable[dict[str, Any]]]
_hooks: dict[str, ContextHook] = {}


def configured(ctx: AppContext) -> bool:
    return bool(ctx.settings.smtp_url)


def on_render(template: str, hook: ContextHook) -> None:
    """Let `template`'s context be completed at send time (a hook may raise Fail: the email is dropped)."""
    _hooks[template] = hook


def queue_email(
    conn: sqlite3.Connection,
    tenant_id: int,
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    *,
    from_name: str = "",
) -> int:
    """Queue one email in the caller's transaction; after the commit the caller calls `ctx.wake_jobs()`."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown email template {template!r}")
    payload = {"to": to, "subject": subject, "template": template, "context": context, "from_name": from_name}
    return jobs.enqueue(conn, tenant_id, KIND, payload)


def sender(ctx: AppContext) -> str:
    """EMAIL_FROM, else an address at PUBLIC_BASE_URL's host."""
    if ctx.settings.email_from:
        return ctx.settings.email_from
    host = urlsplit(ctx.settings.public_base_url).hostname or "localhost"
    return f"Handoff <no-reply@{host}>"


def render(template: str, subject: str, context: dict[str, Any]) -> tuple[str, str]:
    """The plain-text and HTML bodies."""
    values = {"subject": subject, "business": "", **context}
    return _text.get_template(f"{template}.txt").render(values), _html.get_template(f"{template}.html").render(values)


def build(ctx: AppContext, payload: dict[str, Any], context: dict[str, Any]) -> EmailMessage:
    text, html = render(payload["template"], payload["subject"], context)
    message = EmailMessage()
    name, address = parseaddr(sender(ctx))
    message["From"] = formataddr((payload.get("from_name") or name, address))
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


async def send_email(ctx: AppContext, job: Job) -> None:
    """The job handler: transient failures retry with the queue's backoff, permanent ones end the job."""
    if not ctx.settings.smtp_url:
        raise Fail("SMTP_URL is not set")
    try:
        server = smtp.parse_smtp_url(ctx.settings.smtp_url)
    except smtp.BadSmtpUrl as exc:
        raise Fail(str(exc)) from None
    payload = job.payload
    context = dict(payload.get("context") or {})
    hook = _hooks.get(payload["template"])
    if hook is not None:
        context = await hook(ctx, job, context)
    try:
        await smtp.send(server, build(ctx, payload, context))
    except smtp.SendFailed as exc:
        log.info("email job %s not sent (attempt %s): %s", job.id, job.attempts, exc.reason)
        if exc.permanent:
            raise Fail(exc.reason) from None
        raise Retry(exc.reason) from None
    log.info("email job %s sent (%s)", job.id, payload["template"])


register(KIND, send_email)
