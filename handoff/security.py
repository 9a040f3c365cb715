"""Password hashing, signed tokens and the login throttle: the primitives `auth.py` builds on."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any, Protocol

import bcrypt
import jwt

from handoff.quotas import Quota

ALGORITHM = "HS256"
# bcrypt only looks at the first 72 bytes; longer passwords are refused rather than silently truncated.
MAX_PASSWORD_BYTES = 72
MIN_PASSWORD_LENGTH = 8


class TokenError(Exception):
    """A token that is malformed, forged, expired or of the wrong kind."""


def hash_password(password: str, rounds: int = 12) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    encoded = password.encode()
    if len(encoded) > MAX_PASSWORD_BYTES:
        return False
    try:
        return bcrypt.checkpw(encoded, password_hash.encode())
    except ValueError:
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is unacceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        return f"password must be at most {MAX_PASSWORD_BYTES} bytes"
    return None


def encode_token(secret: str, kind: str, ttl_seconds: float, **claims: Any) -> str:
    now = int(time.time())
    payload = {"typ": kind, "iat": now, "exp": now + int(ttl_seconds), "jti": uuid.uuid4().hex, **claims}
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str, kind: str) -> dict[str, Any]:
    """Verify signature (HS256 only: `alg: none` and key confusion are refused), expiry and kind."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "iat", "typ"]})
    except jwt.PyJWTError as exc:
        raise TokenError(str(exc)) from exc
    if claims.get("typ") != kind:
        raise TokenError(f"expected a {kind} token")
    return claims


class TokenCache:
    """Tokens already verified, so a hot endpoint checks a signature once per token, not once per request.

    Entries expire with their token; `forget` drops entries whose value matches (revocation).
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._items: dict[str, tuple[float, Any]] = {}

    def get(self, token: str) -> Any:
        item = self._items.get(token)
        if item is None:
            return None
        if item[0] <= time.time():
            del self._items[token]
            return None
        return item[1]

    def put(self, token: str, expires_at: float, value: Any) -> None:
        if len(self._items) >= self.max_entries:
            self._items.clear()  # crude but bounded; a cold cache only costs re-verification
        self._items[token] = (expires_at, value)

    def forget(self, matches: Callable[[Any], bool]) -> None:
        for token in [t for t, (_, value) in self._items.items() if matches(value)]:
            del self._items[token]


class RateLimiter(Protocol):
    """Counts events per key over a sliding window: `SlidingWindowLimiter` in one process, or
    `handoff.redis_limits.RedisLimiter` shared by every process (REDIS_URL). Async for the shared one.
    `take`, `peek` and `hit` return the key's `Quota` so responses can say how much is left."""

    async def take(self, key: str) -> Quota: ...

    async def peek(self, key: str) -> Quota: ...

    async def hit(self, key: str) -> Quota: ...

    async def allow(self, key: str) -> bool: ...

    async def retry_after(self, key: str) -> float: ...

    async def reset(self, key: str) -> None: ...


class SlidingWindowLimiter:
    """Counts events per key over a sliding window; in-process, which is all one process needs. Its methods
    are coroutines only to share `RateLimiter` with the Redis one: none of them waits."""

    def __init__(self, limit: float, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def _trim(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if not hits:
            del self._hits[key]  # keep the table as small as the set of recently active keys
            return deque()
        return hits

    def _quota(self, hits: deque[float], now: float, allowed: bool) -> Quota:
        reset = self.window - (now - hits[0]) if hits else 0.0
        return Quota(int(self.limit), max(0, int(self.limit) - len(hits)), max(0.0, reset), allowed)

    def _check(self, key: str, record: bool, force: bool = False) -> Quota:
        now = time.monotonic()
        hits = self._trim(key, now)
        if len(hits) >= self.limit and not force:
            return self._quota(hits, now, False)
        if record:
            hits = self._hits[key]
            hits.append(now)
        return self._quota(hits, now, True)

    async def take(self, key: str) -> Quota:
        """Record one event if under the limit (nothing recorded when over); the key's quota after it."""
        return self._check(key, record=True)

    async def peek(self, key: str) -> Quota:
        return self._check(key, record=False)

    async def hit(self, key: str) -> Quota:
        """Record one event whatever the count (failed logins count even once refused)."""
        return self._check(key, record=True, force=True)

    async def allow(self, key: str) -> bool:
        return self._check(key, record=True).allowed

    async def retry_after(self, key: str) -> float:
        """Seconds until `key` is allowed again; 0 when allowed now."""
        return self._check(key, record=False).retry_after

    async def reset(self, key: str) -> None:
        self._hits.pop(key, None)
