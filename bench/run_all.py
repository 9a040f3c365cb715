"""The one benchmark command: `python bench/run_all.py [--quick] [--backend postgresql --processes 2]`.

Runs the standard set against the ceiling app, the naive baseline and Handoff (skipped
with a note when `server.py` is missing or does not start), each server pinned to core 0
and the generator to the other core(s); prints a markdown table and writes it, with the
raw figures as JSON, to bench/results/<date>.md / .json.

`--backend postgresql` runs Handoff on a scratch PostgreSQL database and Redis key prefix of its
own (deployment.py), as `--processes` server processes (2 or more: not pinned) with the clients
spread over their ports; the CPU of each process, of PostgreSQL and of Redis is reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import deployment
import loadgen
import servers
from report import cpu_text, render

RESULTS = Path(__file__).resolve().parent / "results"


def profile(quick: bool) -> dict[str, Any]:
    if quick:
        return {"visitors": 1000, "staff": 2, "fixed_rates": [1000], "duration": 3.0, "warmup": 1.0,
                "step_s": 1.0, "bisect": 2, "tries": 1, "http_s": 3.0, "idle_steps": [1000], "idle_s": 3.0}  # fmt: skip
    return {"visitors": 1000, "staff": 2, "fixed_rates": [1000, 4000], "duration": 10.0, "warmup": 2.0,
            "step_s": 3.0, "bisect": 3, "tries": 2, "http_s": 10.0, "idle_steps": [1000, 5000, 10000], "idle_s": 10.0}  # fmt: skip


def generator(dep: deployment.Deployment) -> loadgen.LoadGen:
    first = dep.first
    return loadgen.LoadGen(first.base_url, first.email, first.password, server_pids=dep.pids,
                           urls=dep.base_urls, services=dep.service_pids())  # fmt: skip


def warm_and_analyze(lg: loadgen.LoadGen, dep: deployment.Deployment, visitors: int) -> None:
    """On PostgreSQL: one message from each visitor (so each has its conversation), then ANALYZE, so the
    measured phases run on the plans a deployment has once autovacuum has seen its first traffic."""
    if dep.scratch is None:
        return
    lg._phase(250, visitors / 250, 0.5, visitors, roundtrip=False, drain=10.0)  # not timed: never repeated
    lg.wait_idle()
    dep.analyze()
    print("  PostgreSQL: one message per visitor sent, database analyzed", flush=True)


def run_throughput(kind: str, p: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    """Fixed-rate fan-in, round trips, max rate and HTTP on one server instance (or deployment)."""
    srv = deployment.start(kind, **target)
    out: dict[str, Any] = {}
    try:
        lg = generator(srv)
        try:
            out["connect"] = lg.ensure(p["visitors"], p["staff"])
            warm_and_analyze(lg, srv, p["visitors"])
            naive = kind == "naive"
            mr = {"step_s": p["step_s"], "warmup": 0.5, "bisect": p["bisect"], "tries": p["tries"]}
            if not naive:  # first, before any overload phase leaves a backlog behind it
                r = lg.run_phase(1000, p["duration"], p["warmup"], active=p["visitors"], roundtrip=True)
                out["roundtrip"] = r
                print(f"  roundtrip 1000/s: p99 {r['rt_ms']['p99']:.1f} ms, errors {r['error_count']}, "
                      f"cpu: {cpu_text(r)}", flush=True)  # fmt: skip
            if naive:  # find its (low) ceiling first: fixed rates above it only measure backlog
                out["maxrate"] = loadgen.maxrate(lg, p["visitors"], p["staff"], start=200, **mr)
            for rate in p["fixed_rates"]:
                if naive and rate > out["maxrate"]["max_offered"]:
                    continue
                lg.wait_idle()
                r = lg.run_phase(rate, p["duration"], p["warmup"], active=p["visitors"])
                out[f"fanin_{rate}"] = r
                print(f"  fanin {rate}/s: p99 {r['staff_ms']['p99']:.1f} ms, errors {r['error_count']}, "
                      f"cpu: {cpu_text(r)}", flush=True)  # fmt: skip
            if not naive:
                out["maxrate"] = loadgen.maxrate(lg, p["visitors"], p["staff"], start=1000, **mr)
            lg.wait_idle()
            out["http"] = loadgen.http_load(lg, p["visitors"], p["http_s"])
            print(f"  POST /webchat: {out['http']['req_per_s']:.0f} req/s, cpu: {cpu_text(out['http'])}",
                  flush=True)  # fmt: skip
            out["rss_end_kib"] = srv.rss_kib()
        finally:
            lg.close()
    finally:
        srv.stop()
    return out


def run_capacity(kind: str, p: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    """Idle sockets in steps on a fresh server, then 1k msgs/s while they stay open."""
    srv = deployment.start(kind, **target)
    try:
        lg = generator(srv)
        try:
            return loadgen.idle(lg, p["idle_steps"], p["staff"], 1000, p["idle_s"], active=p["visitors"],
                                before_fanin=lambda: warm_and_analyze(lg, srv, p["visitors"]))  # fmt: skip
        finally:
            lg.close()
    finally:
        srv.stop()


def machine() -> dict[str, Any]:
    model = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in ln),
        platform.processor() or "unknown",
    )
    versions = {}
    for mod in ("fastapi", "uvicorn", "websockets", "starlette"):
        try:
            versions[mod] = __import__(mod).__version__
        except (ImportError, AttributeError):
            versions[mod] = "?"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=servers.REPO_DIR, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        commit = ""
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "versions": versions,
        "commit": commit or "uncommitted",
        "nofile": servers.raise_nofile(),
        "gen_cpus": sorted(loadgen.default_gen_cpus()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small run, under ~2 minutes")
    ap.add_argument("--wait-quiet", type=float, default=30, help="seconds to wait for other load to stop (each server)")
    ap.add_argument("--retries", type=int, default=2, help="repeats of a phase disturbed by other programs")
    ap.add_argument("--only", help="comma-separated servers to run (default: ceiling,naive,handoff; handoff alone "
                    "with --backend postgresql)")  # fmt: skip
    ap.add_argument(
        "--backend",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="Handoff's database: its SQLite default, or PostgreSQL + Redis (scratch database and prefix)",
    )
    ap.add_argument("--processes", type=int, default=1, help="Handoff server processes (2+: --backend postgresql)")
    ap.add_argument("--pg-url", default=deployment.PG_URL, help="PostgreSQL server for the scratch database")
    ap.add_argument("--redis-url", default=deployment.REDIS_URL, help="Redis server for the scratch prefix")
    a = ap.parse_args()  # fmt: skip
    if a.processes > 1 and a.backend != "postgresql":
        ap.error("--processes 2 or more needs --backend postgresql")
    only = a.only or ("handoff" if a.backend == "postgresql" else "ceiling,naive,handoff")
    target = {"processes": a.processes, "backend": a.backend, "pg_url": a.pg_url, "redis_url": a.redis_url}
    p = profile(a.quick)
    loadgen.LoadGen.quiet_wait = a.wait_quiet
    loadgen.LoadGen.retries = a.retries
    started = time.monotonic()
    info = machine() | {"mode": "quick" if a.quick else "full", "profile": p, "busy_before": servers.cpu_busy(),
                        "backend": a.backend, "processes": a.processes, "loadavg": os.getloadavg()}  # fmt: skip
    info["date"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    results: dict[str, Any] = {}
    notes: list[str] = []
    for kind in only.split(","):
        print(f"== {kind}", flush=True)
        servers.wait_quiet(a.wait_quiet)
        here = target if kind == "handoff" else {}  # the ceiling and naive apps are single processes
        try:
            results[kind] = run_throughput(kind, p, here)
            if kind != "naive":
                results[kind]["idle"] = run_capacity(kind, p, here)
        except Exception as exc:
            notes.append(f"{kind}: skipped ({type(exc).__name__}: {str(exc).strip()[:400]})")
            print(f"  {notes[-1]}", flush=True)
            results.pop(kind, None)
    info["seconds"] = time.monotonic() - started
    info["loadavg_end"] = os.getloadavg()
    table = render(info, results, notes)
    print(table)
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    (RESULTS / f"{stamp}.md").write_text(table)
    (RESULTS / f"{stamp}.json").write_text(json.dumps({"info": info, "results": results}, indent=1, default=str))
    print(f"wrote {RESULTS / stamp}.md and .json ({info['seconds']:.0f} s)")
    sys.exit(0)


if __name__ == "__main__":
    main()
