"""The Redis backplane: this process's events, presence and revocations out to the other processes, and
theirs in (the key layout and envelope format are described in `handoff.live.backplane`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from handoff.live.backplane import Receiver

log = logging.getLogger("handoff.backplane")

HEARTBEAT_SECONDS = 5.0
PRESENCE_TTL_SECONDS = 15.0
# Envelopes waiting for Redis while it is unreachable; beyond this the oldest are dropped (the database keeps
# every message, and clients resume from their last message id when they reconnect).
MAX_PENDING = 100_000
MAX_BACKOFF_SECONDS = 5.0


def connect(redis_url: str, prefix: str, presence_ttl_seconds: float = PRESENCE_TTL_SECONDS) -> RedisBackplane:
    # Keepalive and a health check, so a connection that died without a word (a partition) is noticed.
    client = aioredis.Redis.from_url(redis_url, socket_keepalive=True, health_check_interval=30)
    # Three heartbeats per TTL (5 s of 15 s by default): one late heartbeat never expires a live process.
    heartbeat = presence_ttl_seconds * HEARTBEAT_SECONDS / PRESENCE_TTL_SECONDS
    return RedisBackplane(client, prefix, heartbeat_seconds=heartbeat, ttl_seconds=presence_ttl_seconds)


class RedisBackplane:
    """Forwards envelopes through one Redis channel and delivers the other processes' envelopes to this
    process's sockets; keeps this process's staff in Redis with an expiry, and the other processes' in memory.

    `forward`, `broadcast` and `local_staff` never wait: they queue, and one publisher task sends the queue
    in order over one connection (a pipeline per batch), so what one process publishes arrives everywhere in
    the order it was published.
    """

    shared = True

    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str,
        *,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        ttl_seconds: float = PRESENCE_TTL_SECONDS,
    ) -> None:
        self.redis = client
        self.prefix = prefix
        self.channel = f"{prefix}events"
        self.process_id = os.urandom(8).hex()
        self.heartbeat_seconds = heartbeat_seconds
        self.ttl_seconds = ttl_seconds
        self._origin = orjson.dumps(self.process_id).decode()
        self._hub: Receiver | None = None
        self._pending: deque[bytes] = deque()
        self._presence_dirty = False
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()  # set while nothing waits to be sent
        self._idle.set()
        self._tasks: list[asyncio.Task[None]] = []
        # This process's staff (tenant -> user ids) and everyone else's (process -> tenant -> user ids).
        self._mine: dict[int, list[int]] = {}
        self._others: dict[str, dict[int, list[int]]] = {}
        self._elsewhere: dict[int, frozenset[int]] = {}
        # `p` envelopes received per process: a heartbeat keeps a process's newer news over the hash it read.
        self._presence_news: dict[str, int] = {}
        self._dropped = 0
        self._stopping = False

    # -- keys -------------------------------------------------------------------------------------------

    def presence_key(self, process_id: str) -> str:
        return f"{self.prefix}presence:{process_id}"

    @property
    def processes_key(self) -> str:
        return f"{self.prefix}processes"

    # -- outgoing (synchronous: queue and return) ---------------------------------------------------------

    def attach(self, hub: Receiver) -> None:
        self._hub = hub

    def _queue(self, envelope: bytes) -> None:
        if len(self._pending) >= MAX_PENDING:
            self._pending.popleft()
            if not self._dropped:
                log.warning("redis backplane: %d envelopes waiting; dropping the oldest", MAX_PENDING)
            self._dropped += 1
        self._pending.append(envelope)
        self._idle.clear()
        self._wake.set()

    def forward(
        self, tenant_id: int, frame: str, *, staff: bool, visitor: str | None, users: frozenset[int] | None = None
    ) -> None:
        v = "null" if visitor is None else orjson.dumps(visitor).decode()
        u = "" if users is None else f',"u":{orjson.dumps(sorted(users)).decode()}'
        header = f'{{"o":{self._origin},"k":"e","t":{tenant_id},"s":{"true" if staff else "false"},"v":{v}{u}}}'
        self._queue(f"{header}\n{frame}".encode())

    def broadcast(self, kind: str, **fields: Any) -> None:
        self._queue(orjson.dumps({"o": self.process_id, "k": kind, **fields}))

    def local_staff(self, tenant_id: int, user_ids: list[int]) -> None:
        """This process's staff of a tenant changed: tell the others now and rewrite our presence hash."""
        if user_ids:
            self._mine[tenant_id] = user_ids
        else:
            self._mine.pop(tenant_id, None)
        self._presence_dirty = True
        self.broadcast("p", t=tenant_id, u=user_ids)

    def staff_elsewhere(self, tenant_id: int) -> frozenset[int] | None:
        """User ids of the tenant's staff connected to other processes (0 for a socket without one)."""
        return self._elsewhere.get(tenant_id)

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Join: read the other processes' staff and subscribe. Fails startup when Redis is unreachable,
        rather than running cut off from the other processes."""
        await self._heartbeat()
        ready = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._publish_loop(), name="backplane-publish"),
            asyncio.create_task(self._subscribe_loop(ready), name="backplane-subscribe"),
            asyncio.create_task(self._heartbeat_loop(), name="backplane-heartbeat"),
        ]
        try:
            await asyncio.wait_for(ready.wait(), timeout=10)
        except TimeoutError:
            await self.stop(leave=False)
            raise

    async def stop(self, *, leave: bool = True) -> None:
        """Send what is queued, stop the tasks, take this process's staff out of Redis (`leave=False`: as
        if the process were killed, which tests use to watch presence expire) and close the connections."""
        if leave and self._tasks:
            for tenant_id in list(self._mine):  # the others drop our staff now, not when our hash expires
                self.local_staff(tenant_id, [])
            with contextlib.suppress(TimeoutError, RedisError, OSError):
                await asyncio.wait_for(self._drain(), timeout=2)
        self._stopping = True
        for task in self._tasks:
            # redis-py may turn a cancellation inside a read into a connection error, which `_retrying`
            # would take for an outage and carry on: `_stopping` ends the loop, and the cancel is repeated.
            while not task.done():
                task.cancel()
                await asyncio.wait([task], timeout=0.5)
            with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
                task.result()
        self._tasks = []
        if leave:
            with contextlib.suppress(RedisError, OSError):
                await self.redis.delete(self.presence_key(self.process_id))
                await self.redis.zrem(self.processes_key, self.process_id)
        await self.redis.aclose()

    async def _drain(self) -> None:
        await self._idle.wait()

    # -- the three tasks ------------------------------------------------------------------------------------

    async def _retrying(self, what: str, step: Callable[[], Awaitable[None]]) -> None:
        """Run `step` forever; while Redis is unreachable, back off (up to 5 s) and log once per outage."""
        delay, lost = 0.05, False
        while not self._stopping:
            try:
                await step()
                if lost:
                    log.warning("redis backplane: %s reconnected", what)
                delay, lost = 0.05, False
            except (RedisError, OSError) as exc:
                if self._stopping:
                    return
                if not lost:
                    log.warning("redis backplane: %s lost Redis (%s); retrying with backoff", what, exc)
                lost = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)

    async def _publish_loop(self) -> None:
        async def step() -> None:
            if not self._pending and not self._presence_dirty:
                self._wake.clear()
                await self._wake.wait()
            batch = list(self._pending)
            if self._presence_dirty:
                # Our hash is rewritten before the `p` envelopes of this batch go out, so a process that
                # hears one and then reads the hash never reads an older list; and in one MULTI, so nobody
                # reads it between the DEL and the HSET.
                self._presence_dirty = False
                presence = self.redis.pipeline(transaction=True)
                self._write_presence(presence)
                try:
                    await presence.execute()
                except BaseException:
                    self._presence_dirty = True
                    raise
            pipe = self.redis.pipeline(transaction=False)
            for envelope in batch:
                pipe.publish(self.channel, envelope)
            if batch:
                await pipe.execute()
            for _ in batch:  # sent: only now leave the queue, so an outage loses nothing still queued
                self._pending.popleft()
            if self._dropped:
                log.warning("redis backplane: %d envelopes were dropped during the outage", self._dropped)
                self._dropped = 0
            if not self._pending and not self._presence_dirty:
                self._idle.set()

        await self._retrying("publisher", step)

    def _write_presence(self, pipe: Any) -> None:
        key = self.presence_key(self.process_id)
        pipe.delete(key)
        if self._mine:
            pipe.hset(key, mapping={str(t): ",".join(map(str, ids)) for t, ids in self._mine.items()})
            pipe.pexpire(key, int(self.ttl_seconds * 1000))

    async def _subscribe_loop(self, ready: asyncio.Event) -> None:
        async def step() -> None:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if ready.is_set():  # back after an outage: re-read the staff that came and went meanwhile
                    await self._heartbeat(write=False)
                ready.set()
                while True:
                    message = await pubsub.get_message(timeout=None)
                    if message is not None and message["type"] == "message":
                        self.receive(message["data"])
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

        await self._retrying("subscriber", step)

    async def _heartbeat_loop(self) -> None:
        async def step() -> None:
            await asyncio.sleep(self.heartbeat_seconds)
            # Our own hash is rewritten (and its expiry renewed) by the publisher, in order with the
            # presence changes it sends, so a heartbeat never puts back an older list over a newer one.
            self._presence_dirty = True
            self._idle.clear()
            self._wake.set()
            await self._heartbeat(write=False)

        await self._retrying("heartbeat", step)

    async def _heartbeat(self, *, write: bool = True) -> None:
        """Say this process is alive and re-read everyone else's staff (expired processes drop out)."""
        news = dict(self._presence_news)
        seconds, micros = await self.redis.time()
        now = seconds + micros / 1_000_000  # whole seconds would prune a live process up to a second early
        pipe = self.redis.pipeline(transaction=True)
        if write:
            self._write_presence(pipe)
        pipe.zadd(self.processes_key, {self.process_id: now})
        pipe.zremrangebyscore(self.processes_key, "-inf", now - self.ttl_seconds)
        pipe.zrange(self.processes_key, 0, -1)
        ids = [p.decode() for p in (await pipe.execute())[-1]]
        others = [p for p in ids if p != self.process_id]
        read = self.redis.pipeline(transaction=False)
        for process_id in others:
            read.hgetall(self.presence_key(process_id))
        hashes = await read.execute() if others else []
        view: dict[str, dict[int, list[int]]] = {}
        for process_id, fields in zip(others, hashes, strict=True):
            if fields:
                view[process_id] = {int(t): [int(u) for u in ids_.split(b",") if u] for t, ids_ in fields.items()}
        for process_id in others:  # news that came while we read is newer than the hash we read
            if self._presence_news.get(process_id) != news.get(process_id):
                view[process_id] = self._others.get(process_id, {})
        self._presence_news = {p: n for p, n in self._presence_news.items() if p in others}
        self._replace_others(view)

    # -- incoming ---------------------------------------------------------------------------------------

    def receive(self, data: bytes) -> None:
        """One envelope from the channel; our own come back too, and are ignored."""
        head, _, frame = data.partition(b"\n")
        try:
            header = orjson.loads(head)
        except orjson.JSONDecodeError:
            log.warning("redis backplane: ignoring an envelope that is not JSON")
            return
        origin = header.get("o")
        if origin == self.process_id or self._hub is None:
            return
        kind = header.get("k")
        if kind == "e":
            users = header.get("u")
            self._hub.deliver(
                header["t"],
                frame.decode(),
                staff=header["s"],
                visitor=header["v"],
                users=None if users is None else frozenset(users),
            )
        elif kind == "close":
            self._hub.close_staff_here(session_id=header.get("sid"), user_id=header.get("uid"), reason=header["r"])
        elif kind == "forget":
            self._hub.forget_staff_here(session_id=header.get("sid") or "", user_id=header.get("uid") or 0)
        elif kind == "a":  # an agent chose online or away (handoff/live/availability.py)
            self._hub.availability_here(tenant_id=header["t"], user_id=header["uid"], away=bool(header["away"]))
        elif kind == "p":
            self._presence_news[origin] = self._presence_news.get(origin, 0) + 1
            tenants = dict(self._others.get(origin, {}))
            if header["u"]:
                tenants[header["t"]] = header["u"]
            else:
                tenants.pop(header["t"], None)
            self._replace_others({**self._others, origin: tenants})

    def _replace_others(self, view: dict[str, dict[int, list[int]]]) -> None:
        elsewhere: dict[int, set[int]] = {}
        for tenants in view.values():
            for tenant_id, user_ids in tenants.items():
                if user_ids:
                    elsewhere.setdefault(tenant_id, set()).update(user_ids)
        before = self._elsewhere
        self._others = {p: t for p, t in view.items() if t}
        self._elsewhere = {t: frozenset(ids) for t, ids in elsewhere.items()}
        if self._hub is None:
            return
        for tenant_id in before.keys() | self._elsewhere.keys():
            if before.get(tenant_id) != self._elsewhere.get(tenant_id):
                # Away agents' ids are negative: only a positive one was available.
                was_online = any(u > 0 for u in before.get(tenant_id, ()))
                self._hub.presence_elsewhere_changed(tenant_id, was_online=was_online)
