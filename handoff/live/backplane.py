"""How the hub's events reach sockets held by other processes: `InProcess` (one process, nothing to do) or
`RedisBackplane` (REDIS_URL, in `redis_backplane`), picked from the settings by `backplane_for`.

Redis layout (every name starts with the deployment's prefix, REDIS_PREFIX, default `handoff:`):
    {prefix}events             one pub/sub channel for the deployment: events, presence changes, socket
                               closes and token-cache drops, each as an envelope (below)
    {prefix}presence:{pid}     hash: tenant id -> comma-separated user ids of the staff sockets process `pid`
                               holds (an away agent's negated: handoff/live/availability.py); rewritten every
                               heartbeat, expires after `ttl` without one
    {prefix}processes          sorted set: process ids by their last heartbeat (Redis time), pruned after `ttl`
    {prefix}limit:{name}:{key} sorted set of hit times for one rate-limit key (handoff/redis_limits.py)

An envelope is one line of JSON routing (`o` the origin process, `k` the kind, then the kind's fields), a
newline, and for events the frame exactly as the origin encoded it: a receiver parses the small header and
hands the frame to its sockets as it is, never re-encoding it. orjson never writes a raw newline, so the
first newline always ends the header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from handoff.live.redis_backplane import RedisBackplane


class Receiver(Protocol):
    """What a backplane calls on its hub when another process's envelope arrives."""

    def deliver(
        self, tenant_id: int, frame: str, *, staff: bool, visitor: str | None, users: frozenset[int] | None = None
    ) -> None: ...

    def close_staff_here(self, *, session_id: str | None, user_id: int | None, reason: str) -> None: ...

    def forget_staff_here(self, *, session_id: str, user_id: int) -> None: ...

    def presence_elsewhere_changed(self, tenant_id: int, *, was_online: bool) -> None: ...

    def availability_here(self, *, tenant_id: int, user_id: int, away: bool) -> None: ...


class Backplane(Protocol):
    shared: bool  # False: this process is the whole deployment, and the hub never calls the methods below

    def attach(self, hub: Receiver) -> None: ...

    def forward(
        self, tenant_id: int, frame: str, *, staff: bool, visitor: str | None, users: frozenset[int] | None = None
    ) -> None: ...

    def broadcast(self, kind: str, **fields: Any) -> None: ...

    def local_staff(self, tenant_id: int, user_ids: list[int]) -> None: ...

    def staff_elsewhere(self, tenant_id: int) -> frozenset[int] | None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class InProcess:
    """One process: every socket is local, so there is nothing to forward."""

    shared = False
    redis: aioredis.Redis | None = None

    def attach(self, hub: Receiver) -> None:
        pass

    def forward(
        self, tenant_id: int, frame: str, *, staff: bool, visitor: str | None, users: frozenset[int] | None = None
    ) -> None:
        pass

    def broadcast(self, kind: str, **fields: Any) -> None:
        pass

    def local_staff(self, tenant_id: int, user_ids: list[int]) -> None:
        pass

    def staff_elsewhere(self, tenant_id: int) -> frozenset[int] | None:
        return None

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


def backplane_for(redis_url: str, prefix: str, presence_ttl_seconds: float = 15.0) -> InProcess | RedisBackplane:
    """The backend the URL names: Redis for redis:// and rediss://, in-process when empty. The Redis client is
    imported only then: a one-process deployment never pays its ~22 MB of memory."""
    if not redis_url:
        return InProcess()
    if not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("REDIS_URL must start with redis://, rediss:// or unix://")
    from handoff.live.redis_backplane import connect

    return connect(redis_url, prefix, presence_ttl_seconds)
