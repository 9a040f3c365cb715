"""What a change costs on the hot paths, A/B against another checkout, in server CPU per operation.

```sh
git worktree add /tmp/base HEAD~3         # or any other checkout of Handoff (with .venv beside it or not)
.venv/bin/python bench/overhead.py --base /tmp/base --rounds 3
```

Each round starts the base checkout's server, then this one's (or the other way, alternating), each pinned to
core 0 as run_all.py does, and measures on each: `POST /webchat` as fast as 32 connections go (req/s, and
server CPU microseconds per request), then 1,000 visitor messages a second over sockets fanned in to 2 staff
sockets (server CPU microseconds per message, p99 visitor -> staff). CPU per operation is the figure to
compare: it holds up on a shared machine, where rates and latencies move with other programs' load (shown as
`other`, in cores). Medians over the rounds are printed last.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path
from typing import Any

import loadgen
import servers


def measure(repo: Path, seconds: float) -> dict[str, float]:
    servers.REPO_DIR = repo
    srv = servers.start("handoff")
    try:
        lg = loadgen.LoadGen(srv.base_url, srv.email, srv.password, server_pid=srv.pid)
        lg.retries = 0
        try:
            lg.ensure(1000, 2)
            lg.wait_idle()
            http: dict[str, Any] = loadgen.http_load(lg, 1000, seconds)
            lg.wait_idle()
            fan: dict[str, Any] = lg.run_phase(1000, seconds, 1.0, active=1000)
        finally:
            lg.close()
    finally:
        srv.stop()
    return {
        "webchat req/s": http["req_per_s"],
        "webchat CPU us/req": http["server_cpu"] * 1e6 / max(1.0, http["req_per_s"]),
        "fanin CPU us/msg": fan["server_cpu"] * 1e6 / max(1.0, fan["delivered_rate"]),
        "fanin p99 ms": fan["staff_ms"]["p99"],
        "other cores": (http.get("other_cpu", 0.0) + fan.get("other_cpu", 0.0)) / 2,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--base", required=True, type=Path, help="the other checkout to compare with")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0, help="length of each measured phase")
    args = ap.parse_args()
    this = servers.REPO_DIR
    results: dict[str, list[dict[str, float]]] = {"base": [], "this": []}
    for n in range(args.rounds):
        order = [("base", args.base), ("this", this)]
        for name, repo in order if n % 2 == 0 else reversed(order):
            figures = measure(repo.resolve(), args.seconds)
            results[name].append(figures)
            print(f"round {n + 1} {name}: " + ", ".join(f"{k} {v:.1f}" for k, v in figures.items()), flush=True)
    print("\nmedians:")
    for name, rounds in results.items():
        keys = rounds[0].keys()
        print(f"  {name}: " + ", ".join(f"{k} {statistics.median(r[k] for r in rounds):.1f}" for k in keys))


if __name__ == "__main__":
    main()
