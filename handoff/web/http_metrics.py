"""Request latency and answers by route template, for /metrics. The label is the route that matched
(`/admin/api/conversations/{conversation_id}/messages`), never the raw path, so the label sets stay as small
as the app's list of routes; a path no route matched is one label, `unmatched`."""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_SECONDS = Histogram(
    "handoff_http_request_duration_seconds",
    "HTTP request latency by method and route template, until the response is sent",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RESPONSES = Counter(
    "handoff_http_responses", "HTTP responses by method, route template and status", ["method", "route", "status"]
)


class HttpMetricsMiddleware:
    """Outermost but for the client address, so the time includes every other middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Bound children by labels: a request costs two dictionary lookups, not prometheus_client's locked ones.
        self._timers: dict[tuple[str, str], Histogram] = {}
        self._answers: dict[tuple[str, str, int], Counter] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception that escapes is answered with 500 further out

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or UNMATCHED
        method = scope["method"] if scope["method"] in METHODS else "OTHER"
        timer = self._timers.get((method, template))
        if timer is None:
            timer = self._timers[(method, template)] = REQUEST_SECONDS.labels(method, template)
        timer.observe(elapsed)
        answers = self._answers.get((method, template, status))
        if answers is None:
            answers = self._answers[(method, template, status)] = RESPONSES.labels(method, template, str(status))
        answers.inc()
