"""Security headers on every HTTP answer: nosniff and a Referrer-Policy everywhere, HSTS when the public
address is https, and a Content-Security-Policy on the pages a browser renders as ours (the admin app and the
widget demo page).

The admin app's policy allows no inline script at all (Vite emits external modules only). The demo page has
one inline script of its own, allowed by a per-response nonce the template writes into its tag; its styles
stay inline, as a customer's host page's would, and the widget draws its own styles inside its Shadow DOM.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ADMIN_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self';"
    " connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def demo_csp(nonce: str) -> str:
    return (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline';"
        " img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self';"
        " frame-ancestors 'none'"
    )


DEMO_PATH = "/widget/demo"
ADMIN_PREFIX = "/admin-app"
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, public_base_url: str = "") -> None:
        self.app = app
        self.hsts = public_base_url.startswith("https://")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        policy = None
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            policy = ADMIN_CSP
        elif path == DEMO_PATH:
            nonce = secrets.token_urlsafe(16)
            scope.setdefault("state", {})["csp_nonce"] = nonce  # read by the template as request.state.csp_nonce
            policy = demo_csp(nonce)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
                if policy is not None:
                    headers["Content-Security-Policy"] = policy
                    headers["X-Frame-Options"] = "DENY"  # frame-ancestors for browsers that predate it
                if self.hsts:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)
