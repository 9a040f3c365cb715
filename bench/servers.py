"""Start and stop the servers under test as pinned uvicorn subprocesses.

Each server runs as `python -m uvicorn <module>:app --host 127.0.0.1 --port <free>
--ws-per-message-deflate false --log-level warning`, pinned to one core
(`os.sched_setaffinity`) with `RLIMIT_NOFILE` raised to the hard limit.
"""

from __future__ import annotations

import os
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
HANDOFF_EMAIL = "bench@example.com"


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    tmpdir: str
    email: str = HANDOFF_EMAIL
    password: str = "bench"
    notes: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        return read_rss_kib(self.pid)

    def cpu_seconds(self) -> float:
        return read_cpu_seconds(self.pid)

    def log_tail(self, lines: int = 20) -> str:
        path = Path(self.tmpdir) / "server.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.tmpdir, ignore_errors=True)


def read_rss_kib(pid: int) -> int:
    """VmRSS of a process, in KiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def read_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raise_nofile() -> int:
    """Raise this process's open-file soft limit to its hard limit; return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pin(core: int | None) -> None:
    raise_nofile()
    if core is not None and core < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {core})


def start(kind: str, core: int | None = 0, timeout: float = 30.0) -> Server:
    """Start `ceiling`, `naive` or `handoff`; raise RuntimeError if it does not come up."""
    tmpdir = tempfile.mkdtemp(prefix=f"bench-{kind}-")
    port = free_port()
    env = dict(os.environ)
    password = "bench"
    if kind == "handoff":
        if not (REPO_DIR / "server.py").exists():
            shutil.rmtree(tmpdir, ignore_errors=True)
            raise RuntimeError(f"{REPO_DIR / 'server.py'} does not exist yet")
        password = secrets.token_urlsafe(16)
        env |= {
            "DB_PATH": os.path.join(tmpdir, "bench.sqlite"),
            "ADMIN_EMAIL": HANDOFF_EMAIL,
            "ADMIN_PASSWORD": password,
            "VISITOR_MESSAGES_PER_MINUTE": "1000000",
            "JWT_SECRET": secrets.token_hex(32),
        }
        module, app_dir = "server:app", REPO_DIR
        migrate = REPO_DIR / "migrate_schema.py"
        if migrate.exists():
            done = subprocess.run(
                [sys.executable, str(migrate)], cwd=REPO_DIR, env=env, capture_output=True
            )
            if done.returncode != 0:
                shutil.rmtree(tmpdir, ignore_errors=True)
                raise RuntimeError(f"migrate_schema.py failed: {done.stderr.decode()[-500:]}")
    elif kind in ("ceiling", "naive"):
        env["NAIVE_DB_PATH"] = os.path.join(tmpdir, "naive.sqlite")
        module, app_dir = f"{kind}_server:app", BENCH_DIR
    else:
        raise ValueError(f"unknown server kind {kind!r}")
    cmd = [
        sys.executable, "-m", "uvicorn", module, "--app-dir", str(app_dir),
        "--host", "127.0.0.1", "--port", str(port),
        "--ws-per-message-deflate", "false", "--log-level", "warning",
    ]  # fmt: skip
    log = open(os.path.join(tmpdir, "server.log"), "wb")  # noqa: SIM115 - child owns it
    proc = subprocess.Popen(
        cmd,
        cwd=app_dir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: _pin(core),  # noqa: PLW1509 - no threads here yet
    )
    log.close()
    server = Server(kind, port, proc, tmpdir, password=password)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = server.log_tail()
            server.stop()
            raise RuntimeError(f"{kind} exited with {proc.returncode}:\n{tail}")
        try:
            if httpx.get(f"{server.base_url}/health", timeout=1.0).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    tail = server.log_tail()
    server.stop()
    raise RuntimeError(f"{kind} did not answer /health within {timeout:.0f}s:\n{tail}")
