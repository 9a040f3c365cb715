"""Load generator for Handoff-protocol servers (Handoff, the ceiling, the naive baseline).

Runs as its own process(es), pinned away from the server's core, and drives the
server on loopback through its real wire protocol (see genworker.py for the
per-process part). Usable as a library (`LoadGen` plus the mode functions) or a CLI:

    python bench/loadgen.py fanin --url http://127.0.0.1:8000 --email E --password P \
        --visitors 1000 --staff 2 --rate 1000 --duration 10

Modes: fanin, roundtrip, maxrate, idle, http (see bench/README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from genworker import worker_main
from report import cpu_text
from servers import raise_nofile, read_cpu_seconds, read_rss_kib, usage_between, wait_quiet
from stats import merge, merge_errors, summarize


def default_gen_cpus(server_core: int = 0) -> set[int]:
    cpus = os.sched_getaffinity(0) - {server_core}
    return cpus or {server_core}


class LoadGen:
    """Coordinator: logs in, starts the generator processes, fans commands out."""

    def __init__(
        self,
        base_url: str,
        email: str = "bench@example.com",
        password: str = "bench",
        procs: int | None = None,
        cpus: set[int] | None = None,
        server_pid: int | None = None,
        server_pids: list[int] | None = None,
        urls: list[str] | None = None,
        services: Callable[[], dict[str, list[int]]] | None = None,
    ) -> None:
        """`urls`: every process of the deployment (clients spread over them); `services()`: pids of PostgreSQL, Redis."""
        raise_nofile()
        self.cpus = cpus if cpus is not None else default_gen_cpus()
        os.sched_setaffinity(0, self.cpus)
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.ports = [urlsplit(u).port or 80 for u in urls] if urls else [self.port]
        self.server_pids = server_pids or ([server_pid] if server_pid else [])
        self.services = services
        self.phase_no = 0
        self.usage: dict[str, Any] = {}
        with httpx.Client(base_url=base_url, timeout=10) as http:
            r = http.post("/api/v1/auth/login", json={"email": email, "password": password})
            r.raise_for_status()
            self.access = r.json()["access_token"]
            r = http.get("/api/v1/tenant", headers={"Authorization": f"Bearer {self.access}"})
            r.raise_for_status()
            self.widget_key = r.json()["widget_key"]
        cfg = {
            "host": self.host,
            "port": self.port,
            "ports": self.ports,
            "access": self.access,
            "widget_key": self.widget_key,
            "cpus": self.cpus,
        }
        ctx = mp.get_context("spawn")
        self.pipes, self.procs = [], []
        for i in range(procs or len(self.cpus)):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(child, i, cfg), daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.procs.append(proc)
        self.visitors = 0
        self.connected = 0
        self.staff = 0

    def call(self, cmd: str, args: list[dict[str, Any]], timeout: float = 600, window: tuple[int, int] | None = None
             ) -> list[dict]:  # fmt: skip
        """Run `cmd` on the workers (args[i] to worker i); with `window`, also sample CPU use in it."""
        for pipe, a in zip(self.pipes, args, strict=False):
            pipe.send((cmd, a))
        if window is not None:
            gen = [p.pid for p in self.procs if p.pid is not None]
            self.usage = usage_between(*window, self.server_pids, gen, self.services)
        out = []
        for pipe in self.pipes[: len(args)]:
            if not pipe.poll(timeout):
                raise TimeoutError(f"generator worker did not answer {cmd} in {timeout}s")
            out.append(pipe.recv())
        failed = [r["exception"] for r in out if "exception" in r]
        if failed:
            raise RuntimeError(f"generator worker failed on {cmd}: {failed[0]}")
        return out

    def split(self, n: int) -> list[int]:
        p = len(self.pipes)
        return [n // p + (1 if i < n % p else 0) for i in range(p)]

    def ensure(self, visitors: int, staff: int, concurrency: int = 64) -> dict[str, Any]:
        """Create sessions and open sockets until `visitors` visitors and `staff` staff."""
        info: dict[str, Any] = {}
        if staff > self.staff:
            self.call("staff", [{"count": staff}])
            self.staff = staff
        if visitors > self.visitors:
            r = self.call("sessions", [{"count": n, "concurrency": concurrency // len(self.pipes)}
                                       for n in self.split(visitors - self.visitors)])  # fmt: skip
            info["sessions_per_s"] = sum(x["created"] for x in r) / max(x["seconds"] for x in r)
            self.visitors = visitors
        if visitors > self.connected:
            r = self.call("connect", [{"count": n, "concurrency": max(1, concurrency // 4)}
                                      for n in self.split(visitors - self.connected)])  # fmt: skip
            opened = sum(x.get("opened", 0) for x in r)
            info["connects_per_s"] = opened / max(x.get("seconds", 1e-9) for x in r)
            info["connect_ms"] = summarize(merge(r, "lat"))
            info["connect_errors"] = dict(merge_errors(r))
            self.connected += opened
        return info

    def check(self) -> dict[str, Any]:
        r = self.call("check", [{}] * len(self.pipes))
        codes: Counter[str] = Counter()
        for x in r:
            codes.update(x["close_codes"])
        return {
            "visitors_open": sum(x["visitors_open"] for x in r),
            "staff_open": sum(x["staff_open"] for x in r),
            "close_codes": dict(codes),
        }

    retries = 2  # repeats of a phase disturbed by other programs
    quiet_wait = 30.0  # seconds to wait for them to stop before repeating

    def wait_idle(self, max_s: float = 30.0, below: float = 0.05) -> None:
        """Wait until the server uses < `below` of a core over 0.5 s: backlog from the last phase is gone."""
        if not self.server_pids:
            time.sleep(0.5)
            return
        deadline = time.monotonic() + max_s
        while time.monotonic() < deadline:
            c0 = sum(read_cpu_seconds(p) for p in self.server_pids)
            time.sleep(0.5)
            if sum(read_cpu_seconds(p) for p in self.server_pids) - c0 < below * 0.5:  # each process idle
                return
        print(f"  (server still busy after {max_s:.0f} s; going on)", file=sys.stderr, flush=True)

    def run_phase(self, rate: float, duration: float, warmup: float = 1.0, active: int | None = None,
                  roundtrip: bool = False, drain: float = 5.0) -> dict[str, Any]:  # fmt: skip
        """Offer `rate` msgs/s over `active` visitors; repeat (up to `self.retries` times, after
        waiting for quiet) when other programs used > 0.1 core meanwhile: that is noise."""
        for attempt in range(self.retries + 1):
            out = self._phase(rate, duration, warmup, active, roundtrip, drain)
            out["attempts"] = attempt + 1
            if out.get("other_cpu", 0.0) <= 0.1 or attempt == self.retries:
                return out
            print(f"  (other programs used {out['other_cpu']:.2f} cores: repeating the {rate:.0f}/s phase)",
                  file=sys.stderr, flush=True)  # fmt: skip
            wait_quiet(self.quiet_wait)
            self.wait_idle()
        return out

    def _phase(self, rate: float, duration: float, warmup: float, active: int | None, roundtrip: bool,
               drain: float) -> dict[str, Any]:  # fmt: skip
        self.phase_no = (self.phase_no + 1) % 256
        if self.staff:
            self.call("staff", [{"count": self.staff}])  # replace any the server closed
        active = min(active or self.connected, self.connected)
        actives = self.split(active)
        rates = [rate * a / active for a in actives]
        span_ns = int(warmup * 1e9) + int(duration * 1e9)
        expected = sum(int(r * span_ns / 1e9) if a else 0 for r, a in zip(rates, actives, strict=False))
        t0 = time.monotonic_ns() + 300_000_000
        args = [
            {"t0": t0, "rate": r or 1.0, "phase": self.phase_no, "warmup": warmup,
             "duration": duration, "active": a, "roundtrip": roundtrip, "drain": drain,
             "expected": expected}
            for r, a in zip(rates, actives, strict=False)
        ]  # fmt: skip
        m0 = t0 + int(warmup * 1e9)
        res = self.call("phase", args, window=(m0, m0 + int(duration * 1e9)))
        out: dict[str, Any] = {"offered": rate, "visitors": active, "staff": self.staff, **self.usage}
        out["sent"] = sum(x.get("sent", 0) for x in res)
        out["acks"] = sum(x.get("acks", 0) for x in res)
        staff_recv = [0] * self.staff
        for x in res:
            for k, n in enumerate(x.get("staff_recv", [])):
                staff_recv[k] += n
        out["delivered"] = min(staff_recv) if staff_recv else 0
        out["delivered_rate"] = sum(x.get("window_delivered", 0) for x in res) / duration
        out["ack_ms"] = summarize(merge(res, "ack_lat"))
        out["staff_ms"] = summarize(merge(res, "staff_lat"))
        if roundtrip:
            out["replies"] = sum(x.get("replies", 0) for x in res)
            out["rt_ms"] = summarize(merge(res, "rt_lat"))
        out["gen_lag_ms"] = summarize(merge(res, "lag"))
        errors = merge_errors(res)
        missing = out["sent"] - out["acks"]
        if missing > 0:
            errors["missing ack"] += missing
        if self.staff and out["sent"] - out["delivered"] > 0:
            errors["missing staff delivery"] += out["sent"] - out["delivered"]
        if roundtrip and out["sent"] - out["replies"] > 0:
            errors["missing reply"] += out["sent"] - out["replies"]
        closed = sum(x.get("closed", 0) for x in res)
        if closed:
            errors["visitor sockets closed"] += closed
        out["errors"] = dict(errors)
        out["error_count"] = sum(errors.values())
        if self.server_pids:
            out["server_rss_kib"] = self.server_rss()
        return out

    def server_rss(self) -> int:
        """RSS of every server process together, KiB."""
        return sum(read_rss_kib(p) for p in self.server_pids)

    def close(self) -> None:
        with contextlib.suppress(TimeoutError, OSError, EOFError):
            self.call("close", [{}] * len(self.pipes), timeout=20)
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()


# ---------------------------------------------------------------------------- modes
def fanin(lg: LoadGen, visitors: int, staff: int, rate: float, duration: float,
          warmup: float = 1.0) -> dict[str, Any]:  # fmt: skip
    lg.ensure(visitors, staff)
    return lg.run_phase(rate, duration, warmup, active=visitors)


def roundtrip(lg: LoadGen, visitors: int, staff: int, rate: float, duration: float,
              warmup: float = 1.0) -> dict[str, Any]:  # fmt: skip
    lg.ensure(visitors, max(1, staff))
    return lg.run_phase(rate, duration, warmup, active=visitors, roundtrip=True)


def passes(r: dict[str, Any], p99_limit_ms: float = 100.0) -> bool:
    return r["delivered_rate"] >= 0.95 * r["offered"] and r["staff_ms"]["p99"] <= p99_limit_ms and r["error_count"] == 0


def maxrate(lg: LoadGen, visitors: int, staff: int, start: float = 250, step_s: float = 2.0,
            warmup: float = 0.5, bisect: int = 3, limit: float = 200_000, tries: int = 2) -> dict[str, Any]:  # fmt: skip
    """Double the offered rate until a step fails, then bisect; report the best pass."""
    lg.ensure(visitors, staff)
    steps: list[dict[str, Any]] = []

    def step(rate: float) -> bool:
        """One step; a failed step gets `tries - 1` more chances (one stall can fail a step)."""
        for _ in range(tries):
            lg.wait_idle()
            r = lg.run_phase(rate, step_s, warmup, active=visitors, drain=max(2.0, step_s))
            r["pass"] = passes(r)
            steps.append(r)
            print(f"  maxrate {rate:8.0f}/s delivered {r['delivered_rate']:8.0f}/s p99 "
                  f"{r['staff_ms']['p99']:7.1f} ms errors {r['error_count']:5d} cpu: {cpu_text(r)}"
                  f" {'ok' if r['pass'] else 'FAIL'}", file=sys.stderr, flush=True)  # fmt: skip
            if r["pass"]:
                return True
        return False

    good, bad = 0.0, 0.0
    rate = start
    while rate <= limit:
        if not step(rate):
            bad = rate
            break
        good, rate = rate, rate * 2
    while not good and bad > start / 16:  # even the first step failed: halve down
        rate = round(bad / 2, -1 if bad > 20 else 0)
        if step(rate):
            good = rate
        else:
            bad = rate
    if bad and good:
        for _ in range(bisect):
            mid = round((good + bad) / 2, -1 if good >= 100 else 0)
            if mid in (good, bad):
                break
            if step(mid):
                good = mid
            else:
                bad = mid
    best = max((s for s in steps if s["pass"]), key=lambda s: s["offered"], default=None)
    lg.wait_idle()
    return {
        "max_rate": best["offered"] if best else 0.0,
        "max_offered": good,
        "at_max": best,
        "gen_limited": bool(best and best["gen_lag_ms"]["p99"] > 20),
        "steps": steps,
    }


def idle(lg: LoadGen, steps: list[int], staff: int, rate: float = 1000, duration: float = 5.0,
         active: int = 1000, before_fanin: Callable[[], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """Open idle visitor sockets in steps; RSS per socket; then (after `before_fanin()`) a fanin while
    they stay open."""
    assert lg.server_pids
    lg.ensure(0, staff)
    out: dict[str, Any] = {"steps": []}
    r = lg.call("sessions", [{"count": n, "concurrency": 64 // len(lg.pipes)}
                             for n in lg.split(max(steps) - lg.visitors)])  # fmt: skip
    lg.visitors = max(steps)
    out["sessions_per_s"] = sum(x["created"] for x in r) / max(x["seconds"] for x in r)
    lg.wait_idle()
    base = lg.server_rss()
    out["rss_base_kib"] = base
    for k in steps:
        t = time.perf_counter()
        r = lg.call("connect", [{"count": n, "concurrency": 16}
                                for n in lg.split(k - lg.connected)])  # fmt: skip
        opened = sum(x.get("opened", 0) for x in r)
        seconds = time.perf_counter() - t
        lg.connected += opened
        lg.wait_idle()
        time.sleep(1.0)
        lg.wait_idle()
        rss = lg.server_rss()
        chk = lg.check()
        row = {"sockets": k, "opened": opened, "connects_per_s": opened / seconds,
               "connect_ms": summarize(merge(r, "lat")), "rss_kib": rss,
               "rss_per_socket_kib": (rss - base) / max(1, k), "open": chk["visitors_open"],
               "close_codes": chk["close_codes"], "errors": dict(merge_errors(r))}  # fmt: skip
        out["steps"].append(row)
        print(f"  idle {k:6d} sockets: {row['connects_per_s']:6.0f} connects/s, RSS "
              f"{rss / 1024:7.1f} MiB, {row['rss_per_socket_kib']:5.1f} KiB/socket, "
              f"open {chk['visitors_open']}", file=sys.stderr, flush=True)  # fmt: skip
    if before_fanin:
        before_fanin()
    out["fanin"] = lg.run_phase(rate, duration, 1.0, active=min(active, lg.connected))
    return out


def http_load(lg: LoadGen, visitors: int, duration: float, concurrency: int = 32,
              warmup: float = 1.0) -> dict[str, Any]:  # fmt: skip
    """POST /webchat as fast as `concurrency` keep-alive connections allow."""
    if lg.visitors < visitors:
        r = lg.call("sessions", [{"count": n, "concurrency": 16}
                                 for n in lg.split(visitors - lg.visitors)])  # fmt: skip
        lg.visitors = visitors
    t0 = time.monotonic_ns() + 200_000_000
    m0 = t0 + int(warmup * 1e9)
    m1 = m0 + int(duration * 1e9)
    r = lg.call("http", [{"t0": t0, "m0": m0, "m1": m1, "concurrency": c}
                         for c in lg.split(concurrency)], window=(m0, m1))  # fmt: skip
    out = lg.usage | {
        "req_per_s": sum(x.get("ok", 0) for x in r) / duration,
        "latency_ms": summarize(merge(r, "lat")),
        "errors": dict(merge_errors(r)),
    }
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("mode", choices=["fanin", "roundtrip", "maxrate", "idle", "http"])
    p.add_argument("--url", required=True, help="server base URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--email", default="bench@example.com")
    p.add_argument("--password", default="bench")
    p.add_argument("--server-pid", type=int, help="server pid, for RSS and CPU figures")
    p.add_argument("--procs", type=int, help="generator processes (default: one per core)")
    p.add_argument("--cpus", help="generator cores, e.g. 1 or 1-3 (default: all but core 0)")
    p.add_argument("--visitors", type=int, default=1000)
    p.add_argument("--staff", type=int, default=2)
    p.add_argument("--rate", type=float, default=1000, help="offered msgs/s (fanin, roundtrip)")
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--steps", default="1000,5000,10000", help="idle socket steps")
    p.add_argument("--concurrency", type=int, default=32, help="http connections")
    a = p.parse_args(argv)
    cpus = None
    if a.cpus:
        lo, _, hi = a.cpus.partition("-")
        cpus = set(range(int(lo), int(hi or lo) + 1))
    lg = LoadGen(a.url, a.email, a.password, a.procs, cpus, a.server_pid)
    try:
        if a.mode == "fanin":
            result = fanin(lg, a.visitors, a.staff, a.rate, a.duration)
        elif a.mode == "roundtrip":
            result = roundtrip(lg, a.visitors, a.staff, a.rate, a.duration)
        elif a.mode == "maxrate":
            result = maxrate(lg, a.visitors, a.staff, step_s=a.duration)
        elif a.mode == "idle":
            steps = [int(x) for x in a.steps.split(",")]
            result = idle(lg, steps, a.staff, a.rate, a.duration)
        else:
            result = http_load(lg, a.visitors, a.duration, a.concurrency)
    finally:
        lg.close()
    json.dump(result, sys.stdout, indent=1, default=str)
    print()


if __name__ == "__main__":
    main()
