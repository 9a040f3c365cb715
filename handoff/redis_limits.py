"""Rate limits shared by every process through Redis (REDIS_URL): the same sliding window as
`security.SlidingWindowLimiter`, kept as a sorted set of hit times per key and checked and updated by one
Lua script, so the check and the hit are atomic across processes and the clock is Redis's own (`TIME`),
never a process's.
"""

from __future__ import annotations

import logging
import os
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from handoff.quotas import Quota

log = logging.getLogger("handoff.limits")

# KEYS[1] the key's sorted set; ARGV: limit, window in microseconds, mode ("allow", "peek", "hit"), member.
# Returns {wait, count, reset}: microseconds until the key is allowed again (0: allowed, and for "allow" the
# hit is recorded), hits in the window after this call, and microseconds until the oldest of them leaves.
# Like the in-process limiter: hits at or before now - window leave; over the limit, the wait is until the
# oldest hit leaves; a refused attempt is not recorded.
SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if ARGV[3] ~= 'hit' and count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local wait = math.max(1, tonumber(oldest[2]) + window - now)
  return {wait, count, wait}
end
if ARGV[3] ~= 'peek' then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  count = count + 1
end
local reset = 0
if count > 0 then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  reset = math.max(0, tonumber(oldest[2]) + window - now)
end
return {0, count, reset}
"""

# How often a Redis outage is logged; meanwhile every limit lets requests through (fails open), since
# refusing every visitor and every login would turn a Redis outage into a full outage.
LOG_EVERY_SECONDS = 60.0


class RedisLimiter:
    """`security.RateLimiter` over Redis: `{prefix}limit:{name}:{key}` holds the key's hits."""

    _last_outage_log = 0.0

    def __init__(self, client: aioredis.Redis, prefix: str, name: str, limit: float, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._redis = client
        self._namespace = f"{prefix}limit:{name}:"
        self._script = client.register_script(SCRIPT)

    async def _run(self, key: str, mode: str) -> Quota:
        limit = int(self.limit)
        try:
            wait, count, reset = await self._script(
                keys=[self._namespace + key],
                args=[self.limit, int(self.window * 1_000_000), mode, os.urandom(8).hex()],
            )
        except (RedisError, OSError) as exc:
            now = time.monotonic()
            if now - RedisLimiter._last_outage_log > LOG_EVERY_SECONDS:
                RedisLimiter._last_outage_log = now
                log.warning("rate limits: Redis unreachable (%s); letting requests through", exc)
            return Quota(limit, limit, 0.0, True)
        return Quota(limit, max(0, limit - int(count)), int(reset) / 1_000_000, int(wait) == 0)

    async def take(self, key: str) -> Quota:
        """Record one event if under the limit (nothing recorded when over); the key's quota after it."""
        return await self._run(key, "allow")

    async def peek(self, key: str) -> Quota:
        return await self._run(key, "peek")

    async def hit(self, key: str) -> Quota:
        """Record one event whatever the count."""
        return await self._run(key, "hit")

    async def allow(self, key: str) -> bool:
        """Record one event if under the limit; False (and nothing recorded) when over."""
        return (await self._run(key, "allow")).allowed

    async def retry_after(self, key: str) -> float:
        """Seconds until `key` is allowed again; 0 when allowed now."""
        return (await self._run(key, "peek")).retry_after

    async def reset(self, key: str) -> None:
        try:
            await self._redis.delete(self._namespace + key)
        except (RedisError, OSError):
            log.warning("rate limits: Redis unreachable; could not reset a key")
