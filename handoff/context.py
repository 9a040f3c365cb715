"""What every request handler needs from the running app, built once in the lifespan."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Protocol

import httpx
from fastapi import Depends
from starlette.requests import HTTPConnection

from handoff.config import Settings
from handoff.crypto import SecretBox
from handoff.security import SlidingWindowLimiter, TokenCache
from handoff.store.database import Database

if TYPE_CHECKING:
    from handoff.conversations.outbound import OutboundChannel
    from handoff.live.hub import Hub


@dataclass
class Limits:
    """In-process rate limits (one process serves everything, so memory is the right place)."""

    # Failed logins only, per (account, address) and per address: never per account alone, or anyone could
    # lock anyone out by failing on purpose.
    login_failures_per_pair: SlidingWindowLimiter = field(default_factory=lambda: SlidingWindowLimiter(5, 15 * 60))
    login_failures_per_address: SlidingWindowLimiter = field(default_factory=lambda: SlidingWindowLimiter(20, 15 * 60))
    visitor_messages: SlidingWindowLimiter = field(default_factory=lambda: SlidingWindowLimiter(60, 60))
    public_per_ip: SlidingWindowLimiter = field(default_factory=lambda: SlidingWindowLimiter(600, 60))
    # Follow-ups per (tenant, address): each one is stored and pushed to every staff socket of the tenant.
    followups: SlidingWindowLimiter = field(default_factory=lambda: SlidingWindowLimiter(5, 10 * 60))

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            visitor_messages=SlidingWindowLimiter(settings.visitor_messages_per_minute, 60),
            public_per_ip=SlidingWindowLimiter(settings.ip_requests_per_minute, 60),
        )


class BackgroundService(Protocol):
    """Work that runs beside the requests (timers, the outbox), started and stopped with the app."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def _nothing() -> None:
    return None


@dataclass
class AppContext:
    settings: Settings
    db: Database
    hub: Hub
    limits: Limits
    # Seals and opens channel secrets at rest, with the key derived from JWT_SECRET.
    secrets: SecretBox
    # The outbound adapters by channel name (`channels.build_channels()`); web chat has none (the hub).
    channels: Mapping[str, OutboundChannel]
    # One pooled client for every call to a platform (Twilio, Graph), closed with the app.
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=20.0))
    # Tells the outbox that a row was queued; the lifespan points it at the running outbox.
    wake_outbox: Callable[[], None] = _nothing
    visitor_tokens: TokenCache = field(default_factory=TokenCache)
    staff_tokens: TokenCache = field(default_factory=lambda: TokenCache(10_000))


async def get_ctx(conn: HTTPConnection) -> AppContext:
    # async on purpose: FastAPI runs plain-def dependencies in a thread pool, a thread hop per request.
    ctx: AppContext = conn.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def client_ip(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"
