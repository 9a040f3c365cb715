"""Markdown table for run_all.py: one row per figure, a column per server, Handoff's
ratios to the ceiling and to the naive baseline, and the target with ok/MISS."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Getter = Callable[[dict[str, Any]], Any]


def dig(d: Any, *path: Any) -> Any:
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def num(x: Any, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:,.{digits}f}"


def lat(s: Any) -> str:
    if not s or not s.get("n"):
        return "—"
    return " / ".join(num(s[k], 1) for k in ("p50", "p90", "p99", "max"))


def ratio(a: Any, b: Any) -> float | None:
    if not isinstance(a, int | float) or not isinstance(b, int | float) or not b or math.isnan(a) or math.isnan(b):
        return None
    return a / b


def errors_total(r: dict[str, Any]) -> int:
    total = 0
    for key, val in r.items():
        if isinstance(val, dict):
            if "error_count" in val:
                total += int(val["error_count"])
            elif key == "http":
                total += sum(val.get("errors", {}).values())
            elif key == "maxrate" and val.get("at_max"):
                total += int(val["at_max"]["error_count"])
            elif key == "idle" and val.get("fanin"):
                total += int(val["fanin"]["error_count"])
    return total


def other_load(r: dict[str, Any]) -> float | None:
    """Highest CPU use by other programs seen during any phase: noise in these figures."""
    phases = [v for k, v in r.items() if k.startswith("fanin_") or k == "roundtrip"]
    phases += dig(r, "maxrate", "steps") or []
    if dig(r, "idle", "fanin"):
        phases.append(r["idle"]["fanin"])
    vals = [p["other_cpu"] for p in phases if isinstance(p, dict) and "other_cpu" in p]
    return max(vals) if vals else None


def cpu_text(r: dict[str, Any]) -> str:
    """CPU of a phase in cores as a percentage: each server process, PostgreSQL and Redis when measured,
    the generator and other programs."""
    servers = "+".join(f"{c:.0%}" for c in r.get("server_cpus", [])) or f"{r.get('server_cpu', 0):.0%}"
    text = f"server {servers}"
    for name in ("postgresql", "redis"):
        if f"{name}_cpu" in r:
            text += f" {name} {r[f'{name}_cpu']:.0%}"
    return text + f" gen {r.get('gen_cpu', 0):.0%} other {r.get('other_cpu', 0):.0%}"


def cpu_cell(phase: Any) -> str:
    """`a+b / pg / redis / gen` as percentages of a core; PostgreSQL and Redis only where measured."""
    if not isinstance(phase, dict) or "server_cpu" not in phase:
        return "—"
    parts = ["+".join(f"{c:.0%}" for c in phase.get("server_cpus") or [phase["server_cpu"]])]
    parts += [f"{phase[k]:.0%}" for k in ("postgresql_cpu", "redis_cpu") if k in phase]
    return " / ".join([*parts, f"{phase.get('gen_cpu', 0):.0%}"])


def per_message_cell(phase: Any) -> str:
    """CPU time per delivered message, in ms of one core: all server processes together, PostgreSQL, Redis."""
    if not isinstance(phase, dict) or not phase.get("delivered_rate") or "server_cpu" not in phase:
        return "—"
    keys = ("server_cpu", "postgresql_cpu", "redis_cpu")
    return " / ".join(f"{1000 * phase[k] / phase['delivered_rate']:.2f}" for k in keys if k in phase)


def handoff_label(info: dict[str, Any]) -> str:
    if info.get("backend", "sqlite") == "sqlite":
        return "Handoff"
    n = info.get("processes", 1)
    return f"Handoff (PostgreSQL + Redis, {n} process{'es' if n > 1 else ''})"


def rows(info: dict[str, Any]) -> list[tuple[str, Getter, Callable[[Any], str], str, str, Callable[..., bool] | None]]:
    """(label, value getter, formatter, ratio kind, target text, target check(value, vs_ceiling, vs_naive))."""
    p = info["profile"]
    n, big = p["visitors"], max(p["idle_steps"])
    out: list[tuple[str, Getter, Callable[[Any], str], str, str, Callable[..., bool] | None]] = [
        ("max sustainable rate, visitor→staff (msgs/s)", lambda r: dig(r, "maxrate", "max_rate"), num, "both",
         "≥ 0.6× ceiling, ≥ 20× naive", lambda v, c, nv: (c or 0) >= 0.6 and (nv or 0) >= 20),
    ]  # fmt: skip
    for rate in p["fixed_rates"]:
        out += [
            (f"visitor→staff @ {rate}/s, {n} visitors: p50/p90/p99/max (ms)",
             lambda r, k=f"fanin_{rate}": dig(r, k, "staff_ms"), lat, "p99",
             "p99 ≤ 20 ms" if rate == 1000 else "", (lambda v, c, nv: v["p99"] <= 20) if rate == 1000 else None),
            (f"send→ack @ {rate}/s (ms)", lambda r, k=f"fanin_{rate}": dig(r, k, "ack_ms"), lat, "p99", "", None),
            (f"delivered @ {rate}/s (msgs/s)", lambda r, k=f"fanin_{rate}": dig(r, k, "delivered_rate"), num, "",
             "", None),
        ]  # fmt: skip
    out += [
        ("round trip visitor→staff→visitor @ 1000/s (ms)", lambda r: dig(r, "roundtrip", "rt_ms"), lat, "p99",
         "p99 ≤ 30 ms", lambda v, c, nv: v["p99"] <= 30),
        (f"RSS per idle visitor socket at {big} (KiB)",
         lambda r: (dig(r, "idle", "steps") or [{}])[-1].get("rss_per_socket_kib"), lambda x: num(x, 1), "ceiling",
         "≤ 1.2× ceiling", lambda v, c, nv: c is not None and c <= 1.2),
        (f"visitor→staff @ 1000/s with {big} sockets open (ms)", lambda r: dig(r, "idle", "fanin", "staff_ms"), lat,
         "p99", "p99 ≤ 20 ms", lambda v, c, nv: v["p99"] <= 20),
        ("new visitor connections/s (handshake + auth)",
         lambda r: min((s["connects_per_s"] for s in dig(r, "idle", "steps") or []), default=None), num, "ceiling",
         "≥ 500/s", lambda v, c, nv: v >= 500),
        ("POST /webchat (req/s)", lambda r: dig(r, "http", "req_per_s"), num, "both", "≥ 0.8× ceiling",
         lambda v, c, nv: (c or 0) >= 0.8),
        ("POST /webchat latency p50/p90/p99/max (ms)", lambda r: dig(r, "http", "latency_ms"), lat, "", "", None),
        ("CPU at max rate (cores): server (each process) / PostgreSQL / Redis / generator",
         lambda r: dig(r, "maxrate", "at_max"), cpu_cell, "", "", None),
        ("CPU per delivered message at max rate (ms): servers / PostgreSQL / Redis",
         lambda r: dig(r, "maxrate", "at_max"), per_message_cell, "", "", None),
        ("CPU during POST /webchat (cores), same order", lambda r: r.get("http"), cpu_cell, "", "", None),
        ("other programs' CPU during the phases, max (cores)", other_load, lambda x: num(x, 2), "", "≈ 0", None),
        ("server RSS after the throughput tests (MiB)", lambda r: r.get("rss_end_kib"),
         lambda x: num(None if x is None else x / 1024, 1), "", "", None),
        ("errors (missing acks/deliveries, error frames, HTTP errors)", errors_total, num, "", "0",
         lambda v, c, nv: v == 0),
    ]  # fmt: skip
    return out


def placement(info: dict[str, Any]) -> str:
    if info.get("processes", 1) > 1:
        return f"{info['processes']} Handoff processes left to the scheduler (ceiling/naive pinned to core 0)"
    if info.get("backend", "sqlite") != "sqlite":
        return "server pinned to core 0 (PostgreSQL and Redis unpinned)"
    return "server pinned to core 0"


def render(info: dict[str, Any], results: dict[str, dict[str, Any]], notes: list[str]) -> str:
    c, nv, h = results.get("ceiling", {}), results.get("naive", {}), results.get("handoff", {})
    lines = [
        f"# Handoff benchmark ({info['mode']}), {info['date']}",
        "",
        f"- machine: {info['cores']} cores, {info['cpu']}; Python {info['python']}; "
        + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
        f"- {placement(info)}, generator to cores {info['gen_cpus']}; RLIMIT_NOFILE {info['nofile']}; "
        f"other load before start: {', '.join(f'{b:.0%}' for b in info['busy_before'])} per core",
        "- load average (1, 5, 15 min) at start: "
        + ", ".join(f"{x:.2f}" for x in info.get("loadavg", ()))
        + "; at end: "
        + ", ".join(f"{x:.2f}" for x in info.get("loadavg_end", ())),
        f"- {info['profile']['visitors']} visitors, {info['profile']['staff']} staff sockets; commit {info['commit']}; "
        f"run took {info['seconds']:.0f} s",
        "",
        f"| figure | ceiling | naive | {handoff_label(info)} | Handoff / ceiling | Handoff / naive | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, get, fmt, kind, target, check in rows(info):
        vc, vn, vh = (get(r) if r else None for r in (c, nv, h))

        def scalar(v: Any) -> Any:
            return v.get("p99") if isinstance(v, dict) else v

        rc = ratio(scalar(vh), scalar(vc)) if kind in ("both", "p99", "ceiling") else None
        rn = ratio(scalar(vh), scalar(vn)) if kind == "both" else None
        met = "—"
        if check is not None and vh is not None and scalar(vh) is not None:
            try:
                met = "ok" if check(vh, rc, rn) else "MISS"
            except (TypeError, KeyError):
                met = "—"
        cells = [fmt(v) if v is not None else "—" for v in (vc, vn, vh)]
        rcs = "—" if rc is None else f"{rc:.2f}×"
        rns = "—" if rn is None else f"{rn:.1f}×"
        lines.append(f"| {label} | {' | '.join(cells)} | {rcs} | {rns} | {target} | {met} |")
    lines += ["", "Latencies are p50 / p90 / p99 / max in ms; ratios are Handoff's value over the other server's "
              "(for latency rows, of p99). See bench/README.md.", ""]  # fmt: skip
    for name, r in results.items():
        steps = dig(r, "maxrate", "steps") or []
        if steps:
            trail = ", ".join(
                f"{s['offered']:.0f}→{s['delivered_rate']:.0f} (p99 {s['staff_ms']['p99']:.0f} ms)"
                f"{'' if s['pass'] else ' FAIL'}"
                for s in steps
            )
            lines.append(f"- {name} max-rate steps (offered→delivered msgs/s): {trail}")
        for s in dig(r, "idle", "steps") or []:
            lines.append(
                f"- {name} idle {s['sockets']}: {s['connects_per_s']:.0f} connects/s, RSS {s['rss_kib'] / 1024:.1f} MiB,"
                f" {s['rss_per_socket_kib']:.1f} KiB/socket, {s['open']} open"
            )
        errs: dict[str, int] = {}
        for key in ("roundtrip", "http", *(k for k in r if k.startswith("fanin_"))):
            for e, cnt in (dig(r, key, "errors") or {}).items():
                errs[e] = errs.get(e, 0) + cnt
        if errs:
            lines.append(f"- {name} errors: " + "; ".join(f"{e} ×{cnt}" for e, cnt in list(errs.items())[:6]))
    lines += [f"- note: {x}" for x in notes]
    return "\n".join(lines) + "\n"
