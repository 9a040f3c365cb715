"""The client's address, decided in one place for every HTTP request and WebSocket.

Behind proxies the peer is the nearest proxy, and `X-Forwarded-For` is a list the client starts and each
proxy appends to. Only the entries the trusted proxies appended can be believed, so with `PROXY_HOPS=N`
the client is the entry N places from the right: whatever the client wrote sits further left and is
ignored. With 0 the peer address stands. Rate limits, the login throttle, logs and the audit log all read
`scope["client"]`, which this middleware rewrites in place (uvicorn's access log reads the same dict).
"""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

from handoff.logs import client_address_var


def forwarded_client(header_values: list[bytes], proxy_hops: int) -> str | None:
    """The address `proxy_hops` places from the right of the combined `X-Forwarded-For` lists, or None
    when there are fewer entries than trusted proxies or that entry is not an IP address."""
    entries = [
        entry.strip() for value in header_values for entry in value.decode("latin-1").split(",") if entry.strip()
    ]
    if proxy_hops <= 0 or len(entries) < proxy_hops:
        return None
    candidate = entries[-proxy_hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class ClientAddressMiddleware:
    def __init__(self, app: ASGIApp, proxy_hops: int) -> None:
        self.app = app
        self.proxy_hops = proxy_hops

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self.proxy_hops:
            forwarded = [value for name, value in scope.get("headers") or () if name == b"x-forwarded-for"]
            address = forwarded_client(forwarded, self.proxy_hops)
            if address is not None:
                scope["client"] = (address, 0)
        client = scope.get("client")
        token = client_address_var.set(client[0] if client else "-")
        try:
            await self.app(scope, receive, send)
        finally:
            client_address_var.reset(token)
