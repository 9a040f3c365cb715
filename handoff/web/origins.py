"""Browser origin checks (cross-site WebSocket hijacking and cross-site requests, OWASP).

Staff: the staff API and `/admin-ws` refuse a request whose `Origin` is neither the app's own (the `Host` it
was asked for, or `PUBLIC_BASE_URL`) nor one of `FRONTEND_ORIGIN`: 403 before any route runs, so a page on
another site cannot drive a signed-in browser's socket. A request without `Origin` (curl, a server, a
same-origin GET) passes: origins are a browser's statement, and browsers always send one where it matters.

Widget: any site may embed the widget unless its tenant lists `settings.allowed_origins`; then the session
and the socket refuse other browser origins (`widget_origin_allowed`).
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from handoff.web.cors import WIDGET_PREFIXES

STAFF_PREFIXES = ("/api/", "/admin/api/", "/admin-ws")
DENIED = json.dumps({"detail": "origin not allowed"}).encode()


def normalise(origin: str) -> str | None:
    """`scheme://host[:port]` in lower case without a default port, or None when it is not an origin."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return None
    if parts.query or parts.fragment or parts.username or parts.password:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def host_of(origin: str) -> str:
    """host[:port] of a normalised origin, the default port left out (as browsers write `Host`)."""
    return origin.split("://", 1)[1]


def without_default_port(host: str) -> str:
    return host.removesuffix(":80").removesuffix(":443")


def widget_origin_allowed(allowed: list[str] | None, origin: str | None) -> bool:
    """Whether a widget request or socket from `origin` may go on: always when the tenant lists nothing, or
    when the client is not a browser on a foreign page (no Origin header)."""
    if not allowed or origin is None:
        return True
    return normalise(origin) in allowed


class StaffOriginGuard:
    def __init__(self, app: ASGIApp, frontend_origins: tuple[str, ...], public_base_url: str) -> None:
        self.app = app
        trusted = [normalise(o) for o in (*frontend_origins, public_base_url) if o]
        self.trusted = {o for o in trusted if o}

    def allowed(self, scope: Scope) -> bool:
        origin = host = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"host":
                host = value.decode("latin-1").lower()
        if origin is None:
            return True
        normal = normalise(origin)
        if normal is None:
            return False  # "null" (sandboxed frames, file://) or garbage: never one of ours
        # Our own page: the browser's Origin names the host it loaded us from (the scheme may differ behind a
        # TLS-terminating proxy, the host cannot).
        return normal in self.trusted or (host is not None and host_of(normal) == without_default_port(host))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(WIDGET_PREFIXES) or not path.startswith(STAFF_PREFIXES) or self.allowed(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # before accept: the handshake gets HTTP 403
            return
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(DENIED)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": DENIED})
