"""CORS: the widget's endpoints answer any site (bearer tokens, never cookies); the staff API only the
configured FRONTEND_ORIGIN(s), with credentials. Never a wildcard with credentials."""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from handoff.web.rate_limit_headers import HEADER_NAMES

# /api/v1/uploads takes visitor tokens from the widget on any site (bearer only, never a cookie: nothing to forge).
WIDGET_PREFIXES = ("/api/v1/widget/", "/webchat", "/followup", "/handoff/", "/widget/", "/api/v1/uploads")


class SplitCORSMiddleware:
    def __init__(self, app: ASGIApp, staff_origins: tuple[str, ...]) -> None:
        self.app = app
        self.widget = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_credentials=False,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=list(HEADER_NAMES),
            max_age=600,
        )
        self.staff = CORSMiddleware(
            app,
            allow_origins=list(staff_origins),
            allow_credentials=True,
            allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=list(HEADER_NAMES),
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        handler = self.widget if scope["path"].startswith(WIDGET_PREFIXES) else self.staff
        await handler(scope, receive, send)
