"""Text every store can keep: a request whose JSON body, form body or query string carries a NUL character
(`\\u0000`, `%00`) or half of a UTF-16 surrogate pair (`\\ud800` alone) is refused with 422 before any route
reads it.

PostgreSQL's text type cannot hold NUL and no UTF-8 text can hold a lone surrogate, so such a value would
fail at the database (a 500) on one backend, or be stored on SQLite and then stop `--copy-to` from moving
the data. No chat message, name or setting needs either. Socket frames are checked where their text is
(`checked_text` in `handoff/channels/webchat.py`, `SendBody` in `handoff/web/inbox.py`: a frame's JSON
parser already refuses lone surrogates), since they never pass through here.

Bodies are at most 1 MiB here (the body limit sits outside this middleware); uploads are binary and pass.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DETAIL = "text may not contain NUL characters or unpaired UTF-16 surrogates"
REFUSAL = json.dumps({"detail": DETAIL}).encode()
# A `\uXXXX` escape: the run of backslashes before `u` must be odd for the last one to start an escape.
_ESCAPE = re.compile(rb"(\\+)u([0-9a-fA-F]{4})")


def json_is_storable(body: bytes) -> bool:
    """Whether a JSON text's string escapes decode to text every store can keep (malformed JSON is left to
    the parser that reports it)."""
    if b"\\u" not in body:
        return True  # the common case: nothing escaped, nothing to look at
    pending_high_end = -1  # where a high surrogate's escape ended, awaiting its low half right there
    for match in _ESCAPE.finditer(body):
        if len(match.group(1)) % 2 == 0:
            continue  # an escaped backslash followed by a literal "u..."
        unit = int(match.group(2), 16)
        escape_start = match.end(1) - 1
        if pending_high_end >= 0:
            if escape_start != pending_high_end or not 0xDC00 <= unit <= 0xDFFF:
                return False
            pending_high_end = -1
            continue
        if unit == 0 or 0xDC00 <= unit <= 0xDFFF:
            return False
        if 0xD800 <= unit <= 0xDBFF:
            pending_high_end = match.end()
    return pending_high_end < 0


def urlencoded_is_storable(raw: bytes) -> bool:
    return b"%00" not in raw


class StorableTextGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not urlencoded_is_storable(scope.get("query_string", b"")):
            await refuse(send)
            return
        kind = content_kind(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
        chunks, message = [], await receive()
        while message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
            message = await receive()
        if message["type"] != "http.request":  # the client went away mid-body
            return
        body = b"".join(chunks)
        storable = json_is_storable(body) if kind == "json" else urlencoded_is_storable(body)
        if not storable:
            await refuse(send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def content_kind(scope: Scope) -> str | None:
    """ "json", "form", or None for a body nothing here reads as text (uploads). No Content-Type counts as
    JSON: the routes parse such a body as JSON."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            value = value.lower()
            if b"json" in value:
                return "json"
            if value.startswith(b"application/x-www-form-urlencoded"):
                return "form"
            return None
    return "json"


async def refuse(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(REFUSAL)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": REFUSAL})
