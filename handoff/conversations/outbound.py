"""What the domain knows of an outbound channel adapter: the protocol it implements and what one send
achieved. The adapters themselves live in `handoff/channels/`; the app builds them once
(`channels.build_channels()`) and hands them to the domain on `AppContext.channels`, keyed by channel name.
Web chat has no adapter: its replies go out through the hub."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from handoff.context import AppContext


@dataclass(frozen=True)
class Delivery:
    """What one send attempt achieved: `provider_id` on success, or an error that may be retried."""

    provider_id: str | None = None
    error: str | None = None
    retry: bool = False
    retry_after: float | None = None


class OutboundChannel(Protocol):
    name: str

    def send_problem(
        self, ctx: AppContext, conn: sqlite3.Connection, contact: sqlite3.Row, conversation: sqlite3.Row
    ) -> str | None:
        """Why staff cannot message this contact now (answered with 409), or None. Runs in the write job."""

    def media_base(self, ctx: AppContext, conn: sqlite3.Connection, tenant_id: int) -> str | None:
        """The public base URL the platform can fetch our files from (sending attachments), or None."""

    async def deliver(self, ctx: AppContext, message: dict[str, Any], contact: sqlite3.Row) -> Delivery:
        """Send one stored staff message to the platform."""
