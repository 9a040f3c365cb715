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
from handoff.security import RateLimiter, SlidingWindowLimiter, TokenCache
from handoff.store.backend import Store

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from handoff.conversations.outbound import OutboundChannel
    from handoff.live.hub import Hub


LOGIN_FAILURES_PER_PAIR = (5, 15 * 60)  # (events, window in seconds)
LOGIN_FAILURES_PER_ADDRESS = (20, 15 * 60)
FOLLOWUPS = (5, 10 * 60)
# Wrong second-factor codes per account: whoever gets here has the password, so the account is what to slow.
MFA_FAILURES = (10, 15 * 60)


@dataclass
class Limits:
    """Rate limits: in memory for one process; in Redis, shared by every process, when REDIS_URL is set."""

    # Failed logins only, per (account, address) and per address: never per account alone, or anyone could
    # lock anyone out by failing on purpose.
    login_failures_per_pair: RateLimiter = field(default_factory=lambda: SlidingWindowLimiter(*LOGIN_FAILURES_PER_PAIR))
    login_failures_per_address: RateLimiter = field(
        default_factory=lambda: SlidingWindowLimiter(*LOGIN_FAILURES_PER_ADDRESS)
    )
    visitor_messages: RateLimiter = field(default_factory=lambda: SlidingWindowLimiter(60, 60))
    public_per_ip: RateLimiter = field(default_factory=lambda: SlidingWindowLimiter(600, 60))
    # Follow-ups per (tenant, address): each one is stored and pushed to every staff socket of the tenant.
    followups: RateLimiter = field(default_factory=lambda: SlidingWindowLimiter(*FOLLOWUPS))
    mfa_failures: RateLimiter = field(default_factory=lambda: SlidingWindowLimiter(*MFA_FAILURES))

    @classmethod
    def from_settings(cls, settings: Settings, redis: aioredis.Redis | None = None) -> Limits:
        """In memory; in Redis under `settings.redis_prefix` when REDIS_URL is set and `redis` is its client."""
        if settings.redis_url and redis is not None:
            from handoff.redis_limits import RedisLimiter

            def shared(name: str, limit: float, window: float) -> RedisLimiter:
                return RedisLimiter(redis, settings.redis_prefix, name, limit, window)

            return cls(
                login_failures_per_pair=shared("login-pair", *LOGIN_FAILURES_PER_PAIR),
                login_failures_per_address=shared("login-address", *LOGIN_FAILURES_PER_ADDRESS),
                visitor_messages=shared("visitor", settings.visitor_messages_per_minute, 60),
                public_per_ip=shared("ip", settings.ip_requests_per_minute, 60),
                followups=shared("followups", *FOLLOWUPS),
                mfa_failures=shared("mfa", *MFA_FAILURES),
            )
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
    db: Store
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
    # Tells the job queue (email, webhooks, push, media) that a job was queued; pointed at it by the lifespan.
    wake_jobs: Callable[[], None] = _nothing
    visitor_tokens: TokenCache = field(default_factory=TokenCache)
    staff_tokens: TokenCache = field(default_factory=lambda: TokenCache(10_000))

    def __post_init__(self) -> None:
        # Revocations reach every process (hub.forget_staff goes through the backplane), and each drops its own.
        self.hub.on_forget_staff(self._forget_staff_tokens)

    def _forget_staff_tokens(self, session_id: str, user_id: int) -> None:
        self.staff_tokens.forget(
            lambda s: bool((session_id and s.session_id == session_id) or (user_id and s.id == user_id))
        )


async def get_ctx(conn: HTTPConnection) -> AppContext:
    # async on purpose: FastAPI runs plain-def dependencies in a thread pool, a thread hop per request.
    ctx: AppContext = conn.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def client_ip(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"
