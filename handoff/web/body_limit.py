"""A request body limit in front of every route, webhooks included: 1 MiB, or `UPLOAD_MAX_BYTES` for multipart
uploads, answered 413 before anything parses the body.

Bytes are counted as they stream through `receive`, so a chunked body or a `Content-Length` that lies is cut
off as well as an honest one: the app never gets a byte past the limit. A declared length over the limit is
refused before the app runs at all.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

JSON_MAX_BYTES = 1024 * 1024
UPLOAD_MAX_BYTES = 10 * 1024 * 1024


class BodyTooLarge(Exception):
    """Raised from `receive` when the body passes the limit; the middleware turns it into the 413."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = JSON_MAX_BYTES, upload_max_bytes: int = UPLOAD_MAX_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, declared = self.max_bytes, None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = int(value) if value.isdigit() else None
            elif name == b"content-type" and value.lower().startswith(b"multipart/form-data"):
                limit = self.upload_max_bytes
        if declared is not None and declared > limit:
            await refuse(send, limit)
            return

        received = 0
        tripped = started = False

        async def counted_receive() -> Message:
            nonlocal received, tripped
            if tripped:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    tripped = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if tripped and not started:
                return  # the app's own answer to a cut-off body (a 400 or a 500) gives way to the 413
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            # Whatever the app made of BodyTooLarge; once its response has begun there is nothing to replace.
            if not tripped or started:
                raise
        if tripped and not started:
            await refuse(send, limit)


async def refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"request body too large (limit {limit} bytes)"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
