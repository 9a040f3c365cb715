"""What the Redis backplane costs on the publish path: `Hub.publish` in-process and with a `RedisBackplane`
(its synchronous part, then the rate into Redis), the delivery time to a socket on a second process, and the
cost of receiving and dropping another tenant's envelope. Sockets are not running: frames stay queued.

    .venv/bin/python bench/backplane.py [--redis redis://127.0.0.1:6379/0]

Keys live under a scratch `handoff-bench-<random>:` prefix and are deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any, cast

import redis.asyncio as aioredis
from starlette.websockets import WebSocket

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from handoff.live.backplane import RedisBackplane
from handoff.live.hub import Hub
from handoff.live.sockets import Socket, encode

EVENT: Any = {
    "type": "message",
    "message": {
        "id": 123456,
        "conversation_id": 42,
        "sender": "visitor",
        "channel": "webchat",
        "text": "Hello, is my order shipped? " * 4,
        "created_at": "2026-12-01T03:50:00Z",
        "status": "sent",
    },
    "conversation": {"id": 42, "status": "open", "unread_count": 1, "updated_at": "2026-12-01T03:50:00Z"},
}
ROUNDS, PER_ROUND = 5, 10_000


def sockets(hub: Hub) -> list[Socket]:
    """5 staff sockets and 1 visitor socket on tenant 1, with unbounded queues (never cut off here)."""
    made = [Socket(cast(WebSocket, object()), 1, user_id=i, session_id=str(i)) for i in range(5)]
    made.append(Socket(cast(WebSocket, object()), 1, visitor_id="v1"))
    for sock in made:
        hub.add(sock)
        sock.queue = asyncio.Queue()
    return made


def empty(socks: list[Socket]) -> None:
    for sock in socks:
        while not sock.queue.empty():
            sock.queue.get_nowait()


def per_publish(hub: Hub, socks: list[Socket]) -> float:
    """Best of ROUNDS, in microseconds."""
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(PER_ROUND):
            hub.publish(1, EVENT, visitor="v1")
        best = min(best, (time.perf_counter() - start) / PER_ROUND)
        empty(socks)
    return best * 1e6


async def main(url: str) -> None:
    prefix = f"handoff-bench-{os.urandom(6).hex()}:"
    local = Hub()
    print(f"in-process publish:           {per_publish(local, sockets(local)):.2f} us")
    one = RedisBackplane(aioredis.Redis.from_url(url), prefix)
    two = RedisBackplane(aioredis.Redis.from_url(url), prefix)
    await one.start()
    await two.start()
    try:
        shared, other = Hub(backplane=one), Hub(backplane=two)
        here, there = sockets(shared), sockets(other)
        print(f"publish with Redis (sync):    {per_publish(shared, here):.2f} us")
        start = time.perf_counter()
        await one._drain()
        sent = ROUNDS * PER_ROUND
        print(f"into Redis:                   {sent / (time.perf_counter() - start):,.0f} publishes/s (pipelined)")
        while True:  # let the other process take in the backlog before timing single deliveries
            backlog = there[0].queue.qsize()
            await asyncio.sleep(0.2)
            if there[0].queue.qsize() == backlog:
                break
        empty(there)
        latencies = []
        for _ in range(200):
            start = time.perf_counter()
            shared.publish(1, EVENT, visitor="v1")
            while there[0].queue.empty():
                await asyncio.sleep(0)
            latencies.append(time.perf_counter() - start)
            empty(there)
            empty(here)
        latencies.sort()
        print(f"to the other process:         median {latencies[100] * 1e3:.2f} ms, p95 {latencies[190] * 1e3:.2f} ms")
        one.forward(7, encode(EVENT), staff=True, visitor="v1")
        envelope = one._pending.pop()
        start = time.perf_counter()
        for _ in range(100_000):
            two.receive(envelope)  # tenant 7 has no sockets on `two`: parsed and dropped
        print(f"receive and drop:             {(time.perf_counter() - start) / 100_000 * 1e6:.2f} us per envelope")
    finally:
        await one.stop()
        await two.stop()
        client = aioredis.Redis.from_url(url)
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    asyncio.run(main(parser.parse_args().redis))
