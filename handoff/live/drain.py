"""Closing sockets first on SIGTERM or SIGINT, before uvicorn's own shutdown.

uvicorn's shutdown cuts every WebSocket: it writes a 1012 close frame and closes the TCP connection without
waiting for the client's reply. A client still sending then often gets a reset instead of the frame and sees
1006, and the ack of a frame being stored is lost. So the app takes the signal first. Every socket stops
reading, answers the frame in hand, sends what is queued and closes with 1012 by a proper closing handshake
(`Hub.stop_all`). Then the signal goes on to the handler that was there before (uvicorn's), and uvicorn's
shutdown proceeds: it stops listening, waits for requests, then runs the lifespan's shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from handoff.live.hub import Hub

log = logging.getLogger("handoff.server")
SIGNALS = (signal.SIGTERM, signal.SIGINT)


def close_sockets_on_signal(hub: Hub) -> Callable[[], None]:
    """Take SIGTERM and SIGINT: close the hub's sockets, then pass the signal on. Returns the function that
    puts the previous handlers back. Signals reach only the main thread: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {sig: signal.getsignal(sig) for sig in SIGNALS}
    started: list[asyncio.Task[None]] = []

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)

    def pass_on(sig: int) -> None:
        restore()
        signal.raise_signal(sig)  # to uvicorn's handler (or the default), as if it had come now

    async def stop_then_pass_on(sig: int) -> None:
        try:
            closed = await hub.stop_all()
            log.info("signal %d: %d socket(s) closed with 1012; shutting down", sig, closed)
        finally:
            pass_on(sig)

    def start(sig: int) -> None:
        if started:  # a second signal: stop waiting
            pass_on(sig)
            return
        started.append(loop.create_task(stop_then_pass_on(sig)))

    def on_signal(sig: int, _: FrameType | None) -> None:
        # A signal handler runs between two bytecodes of whatever the loop was doing: hand over safely.
        loop.call_soon_threadsafe(start, sig)

    for sig in SIGNALS:
        signal.signal(sig, on_signal)
    return restore
