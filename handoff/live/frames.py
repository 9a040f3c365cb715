"""Integers in socket frames, checked in one place for the visitor and the staff socket: ids and cursors
bounded to what SQLite stores, so a huge number gets an error frame instead of an OverflowError that would
drop the socket."""

from __future__ import annotations

from typing import Any

from handoff.errors import Invalid
from handoff.store.database import MAX_INTEGER


def frame_int(frame: dict[str, Any], key: str, *, minimum: int = 1) -> int:
    """`frame[key]` when it is an integer from `minimum` (1 for ids, 0 for `after`) to 2^63-1; else Invalid,
    whose detail the handler sends back as `{"type": "error"}`."""
    value = frame.get(key)
    # JSON true is a Python int too, but never an id.
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_INTEGER:
        raise Invalid(f"{key} must be an integer from {minimum} to {MAX_INTEGER}")
    return value
