"""Where Handoff's CPU per message goes at 1,000 msgs/s: the ceiling, what durability adds, and the rest.

```sh
.venv/bin/python bench/floor.py --rounds 3
```

Each round starts the ceiling (`ceiling_server.py`), the durable floor (`durable_server.py`: the ceiling acking
after a group commit of one INSERT per message, `synchronous=FULL`; with `--variants` also that floor with the
COMMIT on the event loop, and without the fsync) and Handoff in turn (the order rotates each
round), each pinned to core 0 as run_all.py does, and measures 1,000 visitor messages a second over 1,000
sockets fanned in to 2 staff sockets: server CPU per message (µs), group commits per second and their mean
batch, p50/p99 visitor -> staff; with `--full` also the max rate (as run_all.py finds it, 2 s steps) and `POST
/webchat` from 32 connections. Medians over the rounds are printed last, with each server's cost over the
ceiling's. CPU per message is the figure that holds up on a shared machine; `other` is other programs' load
during the phase, in cores.
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

import httpx
import loadgen
import profile_phase
import servers

KINDS = ("ceiling", "durable", "handoff")
# --variants: the durable floor taken apart (see durable_server.py)
VARIANTS = {
    "durable, COMMIT on the loop": {"FLOOR_COMMIT": "inline"},
    "durable, no fsync": {"FLOOR_SYNC": "NORMAL"},
}


def commits_so_far(kind: str, base_url: str) -> float:
    """Group commits so far (0 for the ceiling, which stores nothing)."""
    if kind == "durable":
        return float(httpx.get(f"{base_url}/floor-commits", timeout=10).json()["commits"])
    if kind == "handoff":
        return profile_phase.commit_figures(base_url)[0]  # from /metrics
    return 0.0


def measure(name: str, rate: float, seconds: float, full: bool) -> dict[str, float]:
    kind = "durable" if name in VARIANTS else name
    srv = servers.start(kind, env=VARIANTS.get(name))
    try:
        lg = loadgen.LoadGen(srv.base_url, srv.email, srv.password, server_pid=srv.pid)
        lg.retries = 1
        try:
            lg.ensure(1000, 2)
            lg.wait_idle()
            lg.run_phase(rate, 2.0, 0.5, active=1000)  # warm-up: every visitor has its conversation
            lg.wait_idle()
            before = commits_so_far(kind, srv.base_url)
            fan: dict[str, Any] = lg.run_phase(rate, seconds, 1.0, active=1000)
            commits = commits_so_far(kind, srv.base_url) - before
            extra: dict[str, float] = {}
            if full:
                lg.wait_idle()
                best = loadgen.maxrate(lg, 1000, 2, start=1000, step_s=2.0, warmup=0.5, bisect=3, tries=2)
                extra["max msgs/s"] = best["max_offered"]
                lg.wait_idle()
                extra["webchat req/s"] = loadgen.http_load(lg, 1000, seconds)["req_per_s"]
        finally:
            lg.close()
    finally:
        srv.stop()
    delivered = max(1.0, fan["delivered_rate"])
    # The commit count spans the warm-up second and the drain too; the phase's writes are its messages.
    written = delivered * seconds + rate * 1.0
    return {
        "CPU us/msg": fan["server_cpu"] * 1e6 / delivered,
        "commits/s": commits / (seconds + 1.0) if commits else 0.0,
        "batch": written / commits if commits else 0.0,
        "p50 ms": fan["staff_ms"]["p50"],
        "p99 ms": fan["staff_ms"]["p99"],
        "other": fan.get("other_cpu", 0.0),
    } | extra


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rate", type=float, default=1000.0, help="offered visitor msgs/s")
    ap.add_argument("--seconds", type=float, default=8.0, help="length of each measured phase")
    ap.add_argument("--only", default=",".join(KINDS), help="comma-separated subset of " + ",".join(KINDS))
    ap.add_argument("--variants", action="store_true", help="also the durable floor with the COMMIT on the event "
                    "loop, and without the fsync")  # fmt: skip
    ap.add_argument("--full", action="store_true", help="also the max rate and POST /webchat (req/s) of each")
    args = ap.parse_args()
    kinds = [k for k in KINDS if k in args.only.split(",")] + (list(VARIANTS) if args.variants else [])
    results: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    for n in range(args.rounds):
        for kind in kinds[n % len(kinds) :] + kinds[: n % len(kinds)]:
            servers.wait_quiet(30)
            figures = measure(kind, args.rate, args.seconds, args.full)
            results[kind].append(figures)
            print(f"round {n + 1} {kind}: " + ", ".join(f"{k} {v:.1f}" for k, v in figures.items()), flush=True)
    print(f"\nmedians over {args.rounds} rounds at {args.rate:.0f} msgs/s:")
    ceiling = statistics.median(r["CPU us/msg"] for r in results.get("ceiling", [{"CPU us/msg": 0.0}]))
    for kind, rounds in results.items():
        medians = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        ratio = f" (CPU {medians['CPU us/msg'] / ceiling:.2f}x the ceiling's)" if ceiling else ""
        print(f"  {kind}: " + ", ".join(f"{k} {v:.1f}" for k, v in medians.items()) + ratio)


if __name__ == "__main__":
    main()
