"""A TCP proxy that holds every chunk for a fixed delay in each direction: a loopback database made to
answer like one across a network, so latency-bound designs show their cost.

    proxy = DelayProxy("127.0.0.1", 5432, one_way_ms=0.25).start()   # proxy.port forwards to 5432
    ...
    proxy.stop()

It runs in a process of its own (its own interpreter and GIL), so it does not slow the benchmark's Python.
Threads and time.sleep (not asyncio, whose timers round up to whole milliseconds) keep sub-millisecond
delays; still, measure the round trip it gives rather than trust the figure.
"""

from __future__ import annotations

import multiprocessing
import queue
import socket
import threading
import time
from typing import Any


def _pump(source: socket.socket, target: socket.socket, delay: float) -> None:
    """Forward in order, each chunk `delay` seconds after it arrived (chunks in flight overlap)."""
    pending: queue.SimpleQueue[tuple[float, bytes]] = queue.SimpleQueue()

    def send() -> None:
        while True:
            due, data = pending.get()
            if not data:
                target.close()
                return
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            target.sendall(data)

    threading.Thread(target=send, daemon=True).start()
    try:
        while data := source.recv(65536):
            pending.put((time.monotonic() + delay, data))
    except OSError:
        pass
    finally:
        pending.put((0.0, b""))


def _serve(host: str, port: int, delay: float, ready: Any) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    ready.send(listener.getsockname()[1])
    while True:
        client, _ = listener.accept()
        upstream = socket.create_connection((host, port))
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_pump, args=(client, upstream, delay), daemon=True).start()
        threading.Thread(target=_pump, args=(upstream, client, delay), daemon=True).start()


class DelayProxy:
    def __init__(self, host: str, port: int, one_way_ms: float) -> None:
        self.target = (host, port)
        self.delay = one_way_ms / 1000
        self.port = 0
        self._process: multiprocessing.Process | None = None

    def start(self) -> DelayProxy:
        receive, send = multiprocessing.Pipe(duplex=False)
        self._process = multiprocessing.Process(target=_serve, args=(*self.target, self.delay, send), daemon=True)
        self._process.start()
        self.port = int(receive.recv())
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join()
