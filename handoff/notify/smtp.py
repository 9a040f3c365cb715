"""The SMTP connection: `SMTP_URL` parsed once, and one message sent with aiosmtplib.

`smtp://user:pass@host:port` (plain, or `?starttls=1` to upgrade), `smtps://...` for implicit TLS (port 465).
The password is only ever handed to aiosmtplib: never logged, never in an error text (errors name the host)."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

TIMEOUT_SECONDS = 20.0


class BadSmtpUrl(ValueError):
    """SMTP_URL cannot be used; the message never contains the password."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)
    implicit_tls: bool = False
    starttls: bool = False

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpServer:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise BadSmtpUrl("SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise BadSmtpUrl("SMTP_URL has no host")
    try:
        port = parts.port
    except ValueError:
        raise BadSmtpUrl("SMTP_URL has an invalid port") from None
    implicit = parts.scheme == "smtps"
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
    return SmtpServer(
        host=parts.hostname,
        port=port or (465 if implicit else 587 if starttls else 25),
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        implicit_tls=implicit,
        starttls=starttls and not implicit,
    )


class SendFailed(Exception):
    """The server refused or could not be reached; `permanent` when retrying cannot help (a 5xx answer)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


async def send(server: SmtpServer, message: EmailMessage) -> None:
    """Send one message; raises SendFailed with a reason safe to store and log."""
    try:
        await aiosmtplib.send(
            message,
            hostname=server.host,
            port=server.port,
            username=server.username or None,
            password=server.password or None,
            use_tls=server.implicit_tls,
            start_tls=server.starttls,
            timeout=TIMEOUT_SECONDS,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        raise SendFailed(
            f"{server.where} refused the recipients ({codes})", permanent=all(c >= 550 for c in codes)
        ) from None
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise SendFailed(f"{server.where} refused the login ({exc.code})") from None
    except aiosmtplib.SMTPResponseException as exc:
        # 4xx: try again later (greylisting, busy); 5xx on the message itself: it will never be accepted.
        raise SendFailed(f"{server.where} answered {exc.code}", permanent=exc.code >= 550) from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise SendFailed(f"could not talk to {server.where} ({exc.__class__.__name__})") from None
