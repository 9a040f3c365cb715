"""The Redis rate limiter against the real Redis: two instances (two processes) share one count, and it
behaves like the in-process one (allow, retry_after, hit, reset, the sliding window); Limits picks it when
REDIS_URL is set; an unreachable Redis lets requests through."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from handoff.config import Settings
from handoff.context import Limits
from handoff.quotas import Quota
from handoff.redis_limits import RedisLimiter
from handoff.security import SlidingWindowLimiter
from tests.unit.helpers import run


def test_two_processes_share_one_count(redis_url: str, redis_prefix: str) -> None:
    async def scenario() -> None:
        one, two = aioredis.Redis.from_url(redis_url), aioredis.Redis.from_url(redis_url)
        try:
            a = RedisLimiter(one, redis_prefix, "visitor", 3, 60)
            b = RedisLimiter(two, redis_prefix, "visitor", 3, 60)
            assert [await a.allow("t1:v1"), await b.allow("t1:v1"), await a.allow("t1:v1")] == [True] * 3
            assert not await b.allow("t1:v1") and not await a.allow("t1:v1")
            assert 59 < await b.retry_after("t1:v1") <= 60
            assert await b.allow("t1:v2")  # keys are counted apart
            other = RedisLimiter(two, redis_prefix, "ip", 3, 60)
            assert await other.allow("t1:v1")  # and so are limiters
            await a.reset("t1:v1")
            assert await b.retry_after("t1:v1") == 0 and await b.allow("t1:v1")
        finally:
            await one.aclose()
            await two.aclose()

    run(scenario())


def test_the_window_slides_refusals_do_not_count_and_hit_counts_without_asking(
    redis_url: str, redis_prefix: str
) -> None:
    async def scenario() -> None:
        client = aioredis.Redis.from_url(redis_url)
        try:
            limiter = RedisLimiter(client, redis_prefix, "followups", 2, 0.4)
            assert await limiter.allow("k")
            await asyncio.sleep(0.2)
            assert await limiter.allow("k")
            assert not await limiter.allow("k")  # refused: not recorded
            wait = await limiter.retry_after("k")
            assert 0 < wait <= 0.2  # until the first hit leaves
            await asyncio.sleep(wait + 0.02)
            assert await limiter.allow("k") and not await limiter.allow("k")
            login = RedisLimiter(client, redis_prefix, "login", 2, 60)
            for _ in range(3):
                await login.hit("pair")
            assert await login.retry_after("pair") > 59
            keys = [k async for k in client.scan_iter(match=f"{redis_prefix}limit:*")]
            assert keys and all([await client.pttl(k) > 0 for k in keys])  # every key expires with its window
        finally:
            await client.aclose()

    run(scenario())


def test_limits_are_in_redis_only_when_redis_url_is_set(redis_url: str, redis_prefix: str) -> None:
    async def scenario() -> None:
        client = aioredis.Redis.from_url(redis_url)
        try:
            local = Limits.from_settings(Settings(db_path="x"), client)
            assert isinstance(local.visitor_messages, SlidingWindowLimiter)
            settings = Settings(
                db_path="x", redis_url=redis_url, redis_prefix=redis_prefix, visitor_messages_per_minute=2
            )
            shared = Limits.from_settings(settings, client)
            for limiter in (shared.login_failures_per_pair, shared.public_per_ip, shared.followups):
                assert isinstance(limiter, RedisLimiter)
            assert [await shared.visitor_messages.allow("v") for _ in range(3)] == [True, True, False]
        finally:
            await client.aclose()

    run(scenario())


def test_an_unreachable_redis_lets_requests_through() -> None:
    async def scenario() -> None:
        client = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
        try:
            limiter = RedisLimiter(client, "handoff-test-nowhere:", "ip", 1, 60)
            assert await limiter.allow("a") and await limiter.allow("a")
            assert await limiter.retry_after("a") == 0
            await limiter.reset("a")
        finally:
            await client.aclose()

    run(scenario())


def test_settings_read_redis_url_and_prefix_and_never_show_the_url() -> None:
    settings = Settings.from_env({"REDIS_URL": "redis://:hunter2@cache:6379/0", "REDIS_PREFIX": "acme:"})
    assert settings.redis_url == "redis://:hunter2@cache:6379/0" and settings.redis_prefix == "acme:"
    assert "hunter2" not in repr(settings)
    assert Settings.from_env({}).redis_prefix == "handoff:" and Settings.from_env({}).redis_url == ""
    assert Settings.from_env({}).presence_ttl_seconds == 15.0
    assert Settings.from_env({"PRESENCE_TTL_SECONDS": "2.5"}).presence_ttl_seconds == 2.5
    assert Settings.from_env({"PRESENCE_TTL_SECONDS": "0.1"}).presence_ttl_seconds == 1.0  # at least a second


def test_it_reports_its_quota_like_the_in_process_one(redis_url: str, redis_prefix: str) -> None:
    async def scenario() -> None:
        client = aioredis.Redis.from_url(redis_url)
        try:
            limiter = RedisLimiter(client, redis_prefix, "followups", 2, 60)
            assert await limiter.peek("k") == Quota(2, 2, 0.0, True)
            first = await limiter.take("k")
            assert (first.limit, first.remaining, first.allowed) == (2, 1, True) and 59 < first.reset <= 60
            assert (await limiter.take("k")).remaining == 0
            refused = await limiter.take("k")
            assert not refused.allowed and refused.remaining == 0 and 0 < refused.retry_after <= 60
            assert (await limiter.hit("k")).remaining == 0  # counted past the limit, never below 0
            nowhere = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
            unreachable = RedisLimiter(nowhere, "handoff-test-nowhere:", "ip", 5, 60)
            assert await unreachable.take("a") == Quota(5, 5, 0.0, True)  # fails open, and says nothing is used
            await nowhere.aclose()
        finally:
            await client.aclose()

    run(scenario())
