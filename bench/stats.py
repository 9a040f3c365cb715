"""Merging and summarising the generator processes' latency samples and error counts."""

from __future__ import annotations

from array import array
from collections import Counter
from typing import Any


def summarize(samples_us: array | list[int]) -> dict[str, float]:
    """Count and p50/p90/p99/max in milliseconds."""
    s = sorted(samples_us)
    if not s:
        return {"n": 0, "p50": float("nan"), "p90": float("nan"), "p99": float("nan"), "max": 0.0}

    def pct(p: float) -> float:
        return s[min(len(s) - 1, int(p * len(s)))] / 1000

    return {"n": len(s), "p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": s[-1] / 1000}


def merge(results: list[dict[str, Any]], key: str) -> array:
    out = array("q")
    for r in results:
        out.frombytes(r.get(key, b""))
    return out


def merge_errors(results: list[dict[str, Any]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for r in results:
        if "exception" in r:
            total[f"worker: {r['exception'][:100]}"] += 1
        total.update(r.get("errors", {}))
    return total
