"""Tests that need a server beside ours (PostgreSQL, Redis): outside CI, when it is down, they are set aside
before they run and the run ends with one line that says so (rather than a skip line per test); in CI they
run, and fail."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest


def set_aside(
    config: pytest.Config,
    items: list[pytest.Item],
    fixture: str,
    reachable: Callable[[], bool],
    key: pytest.StashKey[int],
) -> None:
    """Deselect the tests that use `fixture` when the server is not `reachable()` (never in CI)."""
    needing = [item for item in items if fixture in getattr(item, "fixturenames", ())]
    if not needing or os.environ.get("CI") or reachable():
        return
    config.hook.pytest_deselected(items=needing)
    items[:] = [item for item in items if item not in needing]
    config.stash[key] = len(needing)


def summary(config: pytest.Config, key: pytest.StashKey[int], skip_message: str) -> str | None:
    count = config.stash.get(key, 0)
    return f"{skip_message} ({count} tests not run)" if count else None
