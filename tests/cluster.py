"""A deployment of several real server processes sharing one PostgreSQL database and one Redis key space,
as the scale-out mode runs them behind a load balancer: each process listens on its own loopback port, and a
test picks which process each client talks to.

Every process gets the same JWT_SECRET (a token signed by one is valid on all) and the same first admin; the
first process starts (and migrates) before the others, which then start together.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from pathlib import Path

from tests.support import LiveServer


class Cluster:
    def __init__(self, workdir: Path, database_url: str, redis_url: str, redis_prefix: str, size: int = 3, **env: str):
        self.database_url = database_url
        shared = {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": redis_prefix,
            "JWT_SECRET": "test-" + secrets.token_urlsafe(32),
            "ADMIN_PASSWORD": "admin-" + uuid.uuid4().hex[:12],
            **env,
        }
        self.servers: list[LiveServer] = []
        for index in range(size):
            folder = workdir / f"process-{index + 1}"
            folder.mkdir(parents=True, exist_ok=True)
            live = LiveServer(folder, **shared)
            live.admin_password = shared["ADMIN_PASSWORD"]
            self.servers.append(live)

    def __getitem__(self, index: int) -> LiveServer:
        return self.servers[index]

    def __len__(self) -> int:
        return len(self.servers)

    def start(self) -> Cluster:
        self.servers[0].start()
        rest = [threading.Thread(target=live.start) for live in self.servers[1:]]
        for thread in rest:
            thread.start()
        for thread in rest:
            thread.join()
        for live in self.servers[1:]:
            if live.process is None or live.process.poll() is not None:
                raise RuntimeError(f"process on port {live.port} did not start:\n{live.log()}")
        return self

    def stop(self) -> None:
        for live in self.servers:
            live.stop()

    def logs(self) -> str:
        return "\n".join(f"--- process {i + 1} (port {s.port}) ---\n{s.log()}" for i, s in enumerate(self.servers))
