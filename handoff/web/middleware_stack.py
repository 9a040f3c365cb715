"""The middleware stack, built twice over the same app: an HTTP request passes every layer, a WebSocket only
the layers that act on WebSockets (client address, request id, the staff origin check).

Every layer a WebSocket passes stays on its call stack for the socket's whole life: a suspended coroutine
per layer and socket. The HTTP-only layers return at once for a WebSocket, but still cost that frame; with
ten thousand idle visitor sockets, six such frames were about 3 KiB per socket (bench/README.md, "Idle
sockets and the middleware stack")."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send


def build(app: ASGIApp, layers: Sequence[Middleware]) -> ASGIApp:
    """`layers` outermost first, wrapped around `app`."""
    for cls, args, kwargs in reversed(layers):
        app = cls(app, *args, **kwargs)
    return app


class SplitStack:
    """`http` layers for HTTP requests (and lifespan), `websocket` layers for WebSockets; each list is
    outermost first, and a layer listed in both is built once per list (the layers keep no state)."""

    def __init__(self, app: ASGIApp, http: Sequence[Middleware], websocket: Sequence[Middleware]) -> None:
        self.http = build(app, http)
        self.websocket = build(app, websocket)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.websocket(scope, receive, send)
        else:
            await self.http(scope, receive, send)
