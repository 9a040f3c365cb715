"""`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds), with `X-RateLimit-*` twins for
older clients, on every answer of a rate-limited endpoint, and `Retry-After` on its 429s: the tightest quota
the request's code reported (`handoff.quotas.report`). Answers that checked no limit get none of them."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handoff.quotas import Quota, reported, retry_after_seconds, seconds, tightest

# Exposed to browsers by CORS (handoff/web/cors.py), so the widget may read them.
HEADER_NAMES = (
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
)


def quota_headers(quota: Quota, status: int) -> list[tuple[bytes, bytes]]:
    limit, remaining, reset = (
        str(quota.limit).encode(),
        str(quota.remaining).encode(),
        str(seconds(quota.reset)).encode(),
    )
    headers = [
        (b"ratelimit-limit", limit),
        (b"ratelimit-remaining", remaining),
        (b"ratelimit-reset", reset),
        (b"x-ratelimit-limit", limit),
        (b"x-ratelimit-remaining", remaining),
        (b"x-ratelimit-reset", reset),
    ]
    if status == 429:
        headers.append((b"retry-after", str(retry_after_seconds(quota)).encode()))
    return headers


class RateLimitHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        quotas: list[Quota] = []
        token = reported.set(quotas)

        async def send_with_quota(message: Message) -> None:
            if quotas and message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                status = message["status"]
                if status == 429 and any(name.lower() == b"retry-after" for name, _ in headers):
                    status = 0  # the route said when already (it knows which limit refused)
                quota = quotas[0] if len(quotas) == 1 else tightest(quotas)
                message["headers"] = headers + quota_headers(quota, status)
            await send(message)

        try:
            await self.app(scope, receive, send_with_quota)
        finally:
            reported.reset(token)
