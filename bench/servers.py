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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def read_cpu_seconds(pid: int, tid: int | None = None) -> float:
    """User + system CPU time of a process (or of its thread `tid`), from /proc/<pid>[/task/<tid>]/stat."""
    stat = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    fields = Path(stat).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def other_cpu_seconds(exclude: set[int]) -> float:
    """CPU time of every user process not in `exclude`, with its reaped children (kernel threads
    left out: they also serve our own traffic). Differences between two calls = other programs' load."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) in exclude:
            continue
        try:
            f = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if f[1] != "2" and entry.name != "2":  # not a kernel thread
            total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return total / os.sysconf("SC_CLK_TCK")


def read_core_ticks() -> list[tuple[int, int]]:
    """(total, idle) jiffies per core from /proc/stat."""
    out = []
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("cpu") and line[3].isdigit():
            f = [int(x) for x in line.split()[1:]]
            out.append((sum(f), f[3] + f[4]))
    return out


def core_busy(before: list[tuple[int, int]], after: list[tuple[int, int]]) -> list[float]:
    """Fraction of each core busy between two read_core_ticks() samples."""
    return [1 - (b[1] - a[1]) / max(1, b[0] - a[0]) for a, b in zip(before, after, strict=False)]


def cpu_busy(seconds: float = 1.0) -> list[float]:
    """Fraction of each core busy over `seconds`."""
    before = read_core_ticks()
    time.sleep(seconds)
    return core_busy(before, read_core_ticks())


def wait_quiet(max_s: float, below: float = 0.15) -> float:
    """Wait (up to max_s) until every core is < `below` busy; return the last reading."""
    deadline = time.monotonic() + max_s
    while True:
        busy = max(cpu_busy(1.0))
        if busy < below or time.monotonic() >= deadline:
            return busy
        print(f"  waiting for the machine to quieten (busiest core {busy:.0%})", file=sys.stderr, flush=True)


def usage_between(m0: int, m1: int, server_pids: list[int], gen_pids: list[int],
                  services: Callable[[], dict[str, list[int]]] | None = None) -> dict[str, Any]:  # fmt: skip
    """CPU use (in cores) of each server process, the generator, the services the servers use (PostgreSQL,
    Redis: `services()` names their pids) and all other programs between m0 and m1 (CLOCK_MONOTONIC ns;
    sleeps until then), and how busy each core was."""

    def service_cpu() -> dict[str, dict[int, float]]:
        return {name: {p: cpu_or_zero(p) for p in pids} for name, pids in (services() if services else {}).items()}

    def sample() -> tuple[list[float], float, dict[str, dict[int, float]], float, list[tuple[int, int]], float]:
        srv = [cpu_or_zero(p) for p in server_pids]
        gen = sum(read_cpu_seconds(p) for p in gen_pids)
        svc = service_cpu()
        ours = {*gen_pids, os.getpid(), *server_pids, *(p for pids in svc.values() for p in pids)}
        return srv, gen, svc, other_cpu_seconds(ours), read_core_ticks(), time.monotonic()

    time.sleep(max(0.0, (m0 - time.monotonic_ns()) / 1e9))
    s0, g0, v0, o0, t0, w0 = sample()
    time.sleep(max(0.0, (m1 - time.monotonic_ns()) / 1e9))
    s1, g1, v1, o1, t1, w1 = sample()
    wall = max(1e-3, w1 - w0)
    per_server = [(b - a) / wall for a, b in zip(s0, s1, strict=True)]
    out = {"server_cpu": sum(per_server), "server_cpus": per_server, "gen_cpu": (g1 - g0) / wall,
           "core_busy": core_busy(t0, t1), "other_cpu": max(0.0, (o1 - o0) / wall)}  # fmt: skip
    for name, after in v1.items():  # a process new since m0 (a fresh pool connection) counts from 0
        before = v0.get(name, {})
        out[f"{name}_cpu"] = sum(cpu - before.get(p, 0.0) for p, cpu in after.items()) / wall
    return out


def cpu_or_zero(pid: int) -> float:
    """read_cpu_seconds, or 0 for a process that has just exited."""
    try:
        return read_cpu_seconds(pid)
    except (OSError, IndexError):
        return 0.0


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


def start(kind: str, core: int | None = 0, timeout: float = 30.0, env: dict[str, str] | None = None,
          password: str | None = None, prefix: tuple[str, ...] = ()) -> Server:  # fmt: skip
    """Start `ceiling`, `naive`, `durable` (the durable floor) or `handoff` (with `env` on top of the bench
    settings, e.g. DATABASE_URL; the admin's `password`, generated when None); raise RuntimeError if it does
    not come up. `prefix` runs the server under another program (instructions.py: valgrind)."""
    tmpdir = tempfile.mkdtemp(prefix=f"bench-{kind}-")
    port = free_port()
    overrides = env or {}
    env = dict(os.environ)
    if kind == "handoff":
        if not (REPO_DIR / "server.py").exists():
            shutil.rmtree(tmpdir, ignore_errors=True)
            raise RuntimeError(f"{REPO_DIR / 'server.py'} does not exist yet")
        password = password or secrets.token_urlsafe(16)
        env |= {
            "DB_PATH": os.path.join(tmpdir, "bench.sqlite"),
            "ADMIN_EMAIL": HANDOFF_EMAIL,
            "ADMIN_PASSWORD": password,
            "VISITOR_MESSAGES_PER_MINUTE": "1000000",  # rate limits off: all load comes from 127.0.0.1
            "IP_REQUESTS_PER_MINUTE": "100000000",
            "SOCKETS_PER_ADDRESS": "1000000",  # likewise every socket: 10,000 idle visitors from one address
            "JWT_SECRET": secrets.token_hex(32),
            "ESCALATE_AFTER_SECONDS": "86400",  # no timer events in the middle of a run
            "AUTO_CLOSE_MINUTES": "1440",
        } | overrides
        module, app_dir = "server:app", REPO_DIR
    elif kind in ("ceiling", "naive", "durable"):
        env |= {"NAIVE_DB_PATH": os.path.join(tmpdir, "naive.sqlite")} | overrides
        password = "bench"
        module, app_dir = f"{kind}_server:app", BENCH_DIR
    else:
        raise ValueError(f"unknown server kind {kind!r}")
    cmd = [
        *prefix, sys.executable, "-m", "uvicorn", module, "--app-dir", str(app_dir),
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
        preexec_fn=lambda: _pin(core),
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
