"""The CPU the metrics and the RateLimit headers add to one request, measured in process (process time, so a
busy shared machine moves it little): the same trivial route on Starlette, bare and behind the two
middlewares with what `/webchat` does besides (two limit reports, one message counted), and the per-commit
and per-message instruments alone.

```sh
.venv/bin/python bench/instrument_cost.py
```
"""

from __future__ import annotations

import asyncio
import sys
import time
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from handoff import metrics
from handoff.quotas import Quota, report
from handoff.web.http_metrics import HttpMetricsMiddleware
from handoff.web.rate_limit_headers import RateLimitHeadersMiddleware

SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "POST",
    "scheme": "http",
    "path": "/webchat",
    "raw_path": b"/webchat",
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"bench"), (b"content-type", b"application/json")],
    "client": ("127.0.0.1", 1),
    "server": ("127.0.0.1", 80),
}


async def bare(_: Request) -> JSONResponse:
    return JSONResponse({"ok": 1})


async def like_webchat(_: Request) -> JSONResponse:
    report(Quota(600, 599, 59.9))
    report(Quota(60, 59, 59.9))
    metrics.message_in("webchat")
    return JSONResponse({"ok": 1})


def app(endpoint: Any, instrumented: bool) -> Starlette:
    built = Starlette(routes=[Route("/webchat", endpoint, methods=["POST"])])
    if instrumented:
        built.add_middleware(RateLimitHeadersMiddleware)
        built.add_middleware(HttpMetricsMiddleware)
    return built


async def per_request(asgi: Starlette, n: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(_: Any) -> None:
        return None

    for _ in range(n // 10):
        await asgi(dict(SCOPE), receive, send)
    started = time.process_time()
    for _ in range(n):
        await asgi(dict(SCOPE), receive, send)
    return (time.process_time() - started) / n * 1e6


async def main() -> None:
    n = 20_000
    for _ in range(3):
        plain = await per_request(app(bare, False), n)
        full = await per_request(app(like_webchat, True), n)
        print(f"request: bare {plain:.1f} us, instrumented {full:.1f} us, added {full - plain:.1f} us")
    k = 200_000
    commit = timeit.timeit(lambda: metrics.sqlite_commit(8, 0.002), number=k) / k * 1e6
    message = timeit.timeit(lambda: metrics.message_in("webchat"), number=k) / k * 1e6
    print(f"per SQLite commit: {commit:.2f} us; per message counted: {message:.2f} us")


if __name__ == "__main__":
    asyncio.run(main())
