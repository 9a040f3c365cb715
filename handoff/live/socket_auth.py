"""Socket credentials: `?token=` (kept for compatibility; redacted from logs) or, preferred, a first frame
`{"type": "auth", "token": "..."}` within 5 s. A refused socket never receives any data."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import HTTPException
from starlette.websockets import WebSocket, WebSocketDisconnect

T = TypeVar("T")
AUTH_TIMEOUT_SECONDS = 5.0
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403


class Forbidden(Exception):
    """Valid credentials, but not for this socket (e.g. another visitor's id)."""


async def authenticate(ws: WebSocket, check: Callable[[str], Awaitable[T]]) -> T | None:
    """Accept the socket for the principal `check` returns, or refuse it and return None."""
    token = ws.query_params.get("token")
    if token is not None:
        try:
            principal = await check(token)
        except (HTTPException, Forbidden):
            await ws.close(code=1008)  # before accept: the handshake is answered with HTTP 403
            return None
        await ws.accept()
        return principal
    await ws.accept()
    try:
        raw = await asyncio.wait_for(ws.receive_text(), AUTH_TIMEOUT_SECONDS)
        frame = json.loads(raw)
        token = frame.get("token") if isinstance(frame, dict) and frame.get("type") == "auth" else None
    except (TimeoutError, WebSocketDisconnect, ValueError, KeyError, RuntimeError):
        token = None
    if not isinstance(token, str) or not token:
        await refuse(ws, CLOSE_UNAUTHORIZED, 'authenticate first: {"type":"auth","token":...}')
        return None
    try:
        return await check(token)
    except HTTPException:
        await refuse(ws, CLOSE_UNAUTHORIZED, "invalid or expired token")
    except Forbidden as exc:
        await refuse(ws, CLOSE_FORBIDDEN, str(exc))
    return None


async def refuse(ws: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
        await ws.close(code=code, reason=reason)
