"""One fixed-rate phase against Handoff, with the figures that say where the server's time goes.

Starts `uvicorn server:app` pinned to core 0 (as run_all.py does), connects 1,000 visitors and 2 staff
sockets, warms up, then offers `--rate` messages/s for `--seconds` and prints:
- delivered msgs/s and the visitor -> staff latency (p50/p90/p99/max);
- the server's CPU, and each of its threads' (from /proc: the event loop, the SQLite commit thread, ...);
- group commits per second, the mean batch and the mean time from a batch's start to its durable commit
  (from `/metrics`);
- with `--py-spy FILE` (py-spy must be installed: `pip install py-spy==0.4.3`), a sampled profile of the
  phase: `FILE.svg` (a flame graph) and, with `--gil`, only the thread holding the GIL, which on one core is
  where the CPU goes; a summary by stage (SQL, sending frames, reading frames, ...) is printed;
- with `--http`, the same for `POST /webchat` from 32 keep-alive connections instead of socket messages;
- with `--server durable` or `--server ceiling`, the same for the durable floor or the ceiling (bench/floor.py),
  whose profiles set beside Handoff's show what Handoff adds.

```sh
.venv/bin/python bench/profile_phase.py --rate 5000
.venv/bin/python bench/profile_phase.py --rate 5000 --py-spy /tmp/phase --gil
```
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen
import servers

# Stages of the message path, by a frame that marks them in a sampled stack (the first that matches wins).
STAGES = (
    ("SQLite commit thread (COMMIT, fsync, checkpoints)", "_commit (handoff/store/database.py"),
    ("SQL: the batch's write jobs", "_run_jobs (handoff/store/database.py"),
    ("writer loop (BEGIN, resuming callers)", "_write_loop (handoff/store/database.py"),
    ("sending frames (hub sender tasks)", "_send_loop (handoff/live/sockets.py"),
    ("a visitor frame's handler", "VisitorFrames.__call__"),
    ("reading and parsing frames", "_receive_loop (handoff/live/sockets.py"),
)


def thread_cpu(pid: int) -> dict[str, tuple[str, float]]:
    """CPU seconds so far of each thread of `pid`, with its name."""
    out: dict[str, tuple[str, float]] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
            out[tid] = (name, servers.read_cpu_seconds(pid, int(tid)))
        except OSError:  # the thread ended meanwhile
            continue
    return out


def commit_figures(base_url: str) -> tuple[float, float, float]:
    """(commits, writes, seconds) so far, from the commit histograms on /metrics (zeros for the ceiling and
    the durable floor, which have none)."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).text

    def value(name: str) -> float:
        found = re.search("^" + name + r"(?:\{[^}]*\})? ([0-9.e+]+)$", text, re.M)
        return float(found.group(1)) if found else 0.0

    return (
        value("handoff_db_commit_batch_size_count"),
        value("handoff_db_commit_batch_size_sum"),
        value("handoff_db_commit_seconds_sum"),
    )


def samples(raw: Path) -> list[tuple[str, int]]:
    """(stack, sample count) of each line of py-spy's raw (collapsed) output."""
    return [(stack, int(n)) for stack, _, n in (line.rpartition(" ") for line in raw.read_text().splitlines())]


def innermost(stack: str) -> str:
    """A stack's innermost frame, without its line number."""
    return re.sub(r":\d+\)", ")", stack.split(";")[-1])


def stage_summary(raw: Path) -> list[tuple[float, str]]:
    """Share of samples per stage, from py-spy's raw (collapsed) output."""
    counts: collections.Counter[str] = collections.Counter()
    stacks = samples(raw)
    for stack, n in stacks:
        stage = next((name for name, mark in STAGES if mark in stack), None)
        counts[stage or "other: " + innermost(stack)[:80]] += n
    total = sum(n for _, n in stacks)
    return [(100 * n / max(total, 1), name) for name, n in counts.most_common(14)]


def own_time(raw: Path, top: int = 15) -> tuple[int, list[tuple[str, int]]]:
    """(all samples, the `top` functions by samples in which they were the innermost Python frame): where
    the time went whatever the stage, to set one server's profile beside another's."""
    counts: collections.Counter[str] = collections.Counter()
    for stack, n in samples(raw):
        counts[innermost(stack)[:90]] += n
    return sum(counts.values()), counts.most_common(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=5000, help="offered msgs/s")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--py-spy", dest="py_spy", help="write a profile of the phase to FILE.svg")
    parser.add_argument("--gil", action="store_true", help="sample only the thread holding the GIL")
    parser.add_argument("--http", action="store_true", help="POST /webchat from 32 connections instead of sockets")
    parser.add_argument("--server", choices=["handoff", "durable", "ceiling"], default="handoff",
                        help="the server to profile: Handoff, the durable floor or the ceiling (see floor.py)")  # fmt: skip
    args = parser.parse_args()
    spy_binary = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if args.py_spy and not Path(spy_binary).exists():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy==0.4.3")
    server = servers.start(args.server)
    try:
        gen = loadgen.LoadGen(server.base_url, server.email, server.password, server_pids=[server.pid])
        print(f"connecting {args.visitors} visitors and 2 staff sockets...", flush=True)
        gen.ensure(args.visitors, 2)
        gen.run_phase(1000, 3, 1, active=args.visitors)  # warm-up: every visitor has its conversation
        gen.wait_idle()
        commits_before, threads_before, started = commit_figures(server.base_url), thread_cpu(server.pid), time.time()
        spies = []
        if args.py_spy:
            record = [spy_binary, "record", "-p", str(server.pid), "-d", str(int(args.seconds)), "-r", "500"]
            record += ["--nonblocking"] + (["--gil"] if args.gil else [])
            for form, suffix in (("raw", ".txt"), ("flamegraph", ".svg")):
                command = [*record, "-f", form, "-o", args.py_spy + suffix]
                spies.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if args.http:
            print(f"POST /webchat from 32 connections for {args.seconds:.0f} s...", flush=True)
            result = loadgen.http_load(gen, args.visitors, args.seconds, warmup=0.0)
            latency = result["latency_ms"]
            print(f"{result['req_per_s']:.0f} req/s, errors {sum(result['errors'].values())}")
        else:
            print(f"offering {args.rate:.0f} msgs/s for {args.seconds:.0f} s...", flush=True)
            result = gen.run_phase(args.rate, args.seconds, 1, active=args.visitors)
            latency = result["staff_ms"]
            print(f"delivered {result['delivered_rate']:.0f} msgs/s, errors {result['error_count']}")
        elapsed, threads_after = time.time() - started, thread_cpu(server.pid)
        commits, writes, seconds = (b - a for a, b in zip(commits_before, commit_figures(server.base_url), strict=True))
        print(f"latency ms: p50 {latency['p50']:.1f} / p90 {latency['p90']:.1f} / p99 {latency['p99']:.1f}")
        print(f"server CPU {result['server_cpu'] * 100:.0f}% of a core, generator {result['gen_cpu'] * 100:.0f}%")
        for tid, (name, cpu) in sorted(
            threads_after.items(), key=lambda kv: threads_before.get(kv[0], ("", 0))[1] - kv[1][1]
        ):
            used = cpu - threads_before.get(tid, (name, 0.0))[1]
            if used / elapsed >= 0.01:
                print(f"  thread {name}: {used / elapsed * 100:.1f}% of a core")
        if commits:
            print(f"group commits {commits / elapsed:.0f}/s, mean batch {writes / commits:.1f} writes, "
                  f"mean {seconds / commits * 1000:.2f} ms from a batch's start to its durable commit")  # fmt: skip
        for spy in spies:
            spy.wait()
        if args.py_spy:
            print(f"profile: {args.py_spy}.svg; by stage (share of samples):")
            for share, name in stage_summary(Path(args.py_spy + ".txt")):
                print(f"  {share:5.1f}% {name}")
            total, functions = own_time(Path(args.py_spy + ".txt"))
            print(f"own samples per delivered message, by innermost Python frame ({total} samples at 500/s):")
            delivered = max(1.0, result.get("delivered_rate", result.get("req_per_s", 0.0)) * args.seconds)
            for name, n in functions:
                print(f"  {n / 500 / delivered * 1e6:7.1f} µs {name}")
        gen.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
