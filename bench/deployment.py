"""The server under test as a deployment: one process (the default, on its own SQLite file), or Handoff as
N processes on one scratch PostgreSQL database and one scratch Redis key prefix, as the scale-out mode runs
it behind a load balancer (here the generator spreads its clients over the processes' ports instead).

The scratch database is `handoff_bench_<random>` on the server of `pg_url` (created here, dropped with
FORCE at the end); the prefix is `handoff-bench-<random>:` (every key under it deleted at the end, never a
FLUSHDB). Process 1 starts first (it migrates and creates the admin), the others after it.

`ServicePids` finds the PostgreSQL and Redis processes that serve this deployment, so the generator can
report their CPU beside the servers' instead of counting it as other programs' load.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
import servers

PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
# Processes of the PostgreSQL server that work for every database (WAL writes, checkpoints): counted as
# PostgreSQL's CPU for this deployment, since during a run its load dominates them.
PG_SHARED = ("checkpointer", "background writer", "walwriter", "autovacuum launcher", "logical replication")


@dataclass
class Scratch:
    """A PostgreSQL database and a Redis key prefix of this run's own."""

    admin_url: str
    redis_url: str
    name: str = field(default_factory=lambda: f"handoff_bench_{secrets.token_hex(4)}")
    prefix: str = field(default_factory=lambda: f"handoff-bench-{secrets.token_hex(4)}:")

    @property
    def database_url(self) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{self.name}"))

    def create(self) -> Scratch:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        with redis.Redis.from_url(self.redis_url, socket_connect_timeout=3) as client:
            client.ping()  # unreachable Redis: fail before any server starts
        return self

    def drop(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        with redis.Redis.from_url(self.redis_url) as client:
            keys = list(client.scan_iter(match=f"{self.prefix}*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])


class ServicePids:
    """The pids of PostgreSQL's processes serving one database (plus its shared writers) and of Redis.

    Looked up again at every sample: the servers' pools open connections (new backends) as load grows."""

    def __init__(self, database: str) -> None:
        self.database = database

    def __call__(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {"postgresql": [], "redis": []}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                comm = Path(f"/proc/{entry.name}/comm").read_text().strip()
                if comm not in ("postgres", "redis-server"):
                    continue
                title = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if comm == "redis-server":
                found["redis"].append(int(entry.name))
            elif f" {self.database} " in title or any(name in title for name in PG_SHARED):
                found["postgresql"].append(int(entry.name))
        return found


@dataclass
class Deployment:
    processes: list[servers.Server]
    scratch: Scratch | None = None

    @property
    def first(self) -> servers.Server:
        return self.processes[0]

    @property
    def pids(self) -> list[int]:
        return [s.pid for s in self.processes]

    @property
    def base_urls(self) -> list[str]:
        return [s.base_url for s in self.processes]

    def service_pids(self) -> ServicePids | None:
        return ServicePids(self.scratch.name) if self.scratch else None

    def analyze(self) -> None:
        """ANALYZE the scratch database, as autovacuum would within a minute of a deployment's first traffic
        (this machine's PostgreSQL runs with autovacuum off). Without statistics the planner reads every open
        conversation of the tenant to find a contact's (`conversations_open` instead of the one-per-contact
        index), which doubled PostgreSQL's CPU per message when measured."""
        if self.scratch:
            with psycopg.connect(self.scratch.database_url, autocommit=True) as conn:
                conn.execute("ANALYZE")

    def rss_kib(self) -> int:
        return sum(s.rss_kib() for s in self.processes)

    def stop(self) -> None:
        for server in self.processes:
            server.stop()
        if self.scratch:
            self.scratch.drop()


def start(kind: str, processes: int = 1, backend: str = "sqlite", pg_url: str = PG_URL,
          redis_url: str = REDIS_URL) -> Deployment:  # fmt: skip
    """`kind` on SQLite as one process pinned to core 0, or Handoff on PostgreSQL + Redis as `processes`
    processes (one: pinned to core 0 like the default; more: left to the scheduler on every core)."""
    if backend == "sqlite":
        if processes != 1:
            raise ValueError("several processes need --backend postgresql (SQLite is one writer process)")
        return Deployment([servers.start(kind)])
    if kind != "handoff":
        raise ValueError(f"{kind} has no PostgreSQL mode")
    scratch = Scratch(pg_url, redis_url).create()
    print(f"  scratch database {scratch.name}, Redis prefix {scratch.prefix}", flush=True)
    shared = {
        "DATABASE_URL": scratch.database_url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": scratch.prefix,
        "JWT_SECRET": secrets.token_hex(32),  # every process accepts every other's tokens
    }
    password = secrets.token_urlsafe(16)
    core = 0 if processes == 1 else None
    deployment = Deployment([], scratch)
    try:
        for index in range(processes):
            deployment.processes.append(servers.start(kind, core=core, env=shared, password=password))
            print(f"  process {index + 1}/{processes} up on port {deployment.processes[-1].port}", flush=True)
    except BaseException:
        deployment.stop()
        raise
    return deployment
