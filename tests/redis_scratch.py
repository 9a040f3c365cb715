"""Scratch key prefixes on the shared Redis for tests: each run's keys start with `handoff-test-<random>:` and
are deleted afterwards (never FLUSHDB: other runs and other engineers use the same server).

TEST_REDIS_URL picks the server (default redis://127.0.0.1:6379/0). The app takes the prefix from
REDIS_PREFIX, so a test gives a server (or a `RedisBackplane`, a `RedisLimiter`) the URL and its prefix.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlsplit

import pytest
import redis

from tests import services

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def address(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"


def reachable(url: str = REDIS_URL) -> bool:
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2) as client:
            return bool(client.ping())
    except (redis.RedisError, OSError):
        return False


def new_prefix() -> str:
    return f"handoff-test-{secrets.token_hex(6)}:"


def delete_prefix(url: str, prefix: str) -> None:
    """Delete every key under `prefix` (only ever a scratch prefix: it must start with handoff-test-)."""
    assert prefix.startswith("handoff-test-"), prefix
    with redis.Redis.from_url(url) as client:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


def skip_message(url: str = REDIS_URL) -> str:
    return f"skipped: Redis not reachable at {address(url)}"


def unreachable(url: str = REDIS_URL) -> None:
    """CI must never skip silently: there every test that needs Redis fails; elsewhere it is skipped."""
    if os.environ.get("CI"):
        pytest.fail(f"CI requires Redis, not reachable at {address(url)}", pytrace=False)
    pytest.skip(skip_message(url))


SKIPPED = pytest.StashKey[int]()


def set_aside_when_unreachable(config: pytest.Config, items: list[pytest.Item]) -> None:
    services.set_aside(config, items, "redis_url", reachable, SKIPPED)


def summary_line(config: pytest.Config) -> str | None:
    return services.summary(config, SKIPPED, skip_message())
