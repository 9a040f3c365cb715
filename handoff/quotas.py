"""What a rate limit tells the client before it bites: each limiter check returns a `Quota`, the code that
checked reports it for the request being answered, and `handoff.web.rate_limit_headers` turns the tightest
one into `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (and `X-RateLimit-*` twins) and, on a
429, `Retry-After`.

The report goes through a context variable holding a list the middleware made for the request: appending to
it works from any task or context copy the request's code runs in, and outside a request (a socket frame,
a background job) there is no list and a report is simply dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Quota:
    """One limit's state for one key, after the check that produced it."""

    limit: int
    remaining: int  # events still allowed in the window, after this one
    reset: float  # seconds until the oldest counted event leaves the window (0: nothing counted)
    allowed: bool = True

    @property
    def retry_after(self) -> float:
        """Seconds until the key is allowed again; 0 when it is allowed now."""
        return 0.0 if self.allowed else self.reset


reported: ContextVar[list[Quota] | None] = ContextVar("reported_quotas", default=None)


def report(quota: Quota) -> Quota:
    """Say `quota` applies to the request being answered (a no-op outside one); returns it."""
    found = reported.get()
    if found is not None:
        found.append(quota)
    return quota


def tightest(quotas: Iterable[Quota]) -> Quota:
    """The one closest to refusing: refused first, then fewest remaining, then the longest reset."""
    return min(quotas, key=lambda q: (q.allowed, q.remaining, -q.reset))


def seconds(value: float) -> int:
    """Whole seconds for a header, rounded up so a client waiting that long is never early."""
    return max(0, math.ceil(value))


def retry_after_seconds(quota: Quota) -> int:
    return max(1, seconds(quota.retry_after or quota.reset))
