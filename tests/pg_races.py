"""Making a race between server processes happen every time, from outside them: the test holds a table lock
that lets the servers read but stops each at its first write, waits until every racer is stopped there (so
every one has done its reads), then lets them all go at once. A read-then-write that is not safe across
processes then loses an update or breaks a unique index on every run, not one run in a hundred."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import psycopg

from tests.support import eventually


def waiting_for_locks(probe: psycopg.Connection[Any]) -> int:
    """Other sessions on the probe's database waiting for a lock (table, row, advisory, a transaction)."""
    row = probe.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    ).fetchone()
    return int(row[0]) if row else 0


class Hold:
    """Locks held by the test's own transaction; `release(n)` (or calling it) waits until n sessions are
    blocked on a lock, then commits, letting them all go."""

    def __init__(self, holder: psycopg.Connection[Any], probe: psycopg.Connection[Any]) -> None:
        self.holder, self.probe = holder, probe

    def wait_for(self, racers: int) -> None:
        eventually(lambda: waiting_for_locks(self.probe) >= racers, timeout=30)

    def __call__(self, racers: int) -> None:
        self.wait_for(racers)
        self.holder.commit()


@contextlib.contextmanager
def writes_held(url: str, *tables: str) -> Iterator[Hold]:
    """SHARE locks on `tables`: reads go on, INSERT/UPDATE/DELETE wait until released."""
    with psycopg.connect(url) as holder, psycopg.connect(url, autocommit=True) as probe:
        holder.execute(f"LOCK TABLE {', '.join(tables)} IN SHARE MODE")
        yield Hold(holder, probe)


@contextlib.contextmanager
def row_held(url: str, table: str, row_id: int) -> Iterator[Hold]:
    """One row locked FOR UPDATE: reads go on, writes of that row queue up and, once released, run one at a
    time in the order they arrived (so a test can choose which of two racers writes first)."""
    with psycopg.connect(url) as holder, psycopg.connect(url, autocommit=True) as probe:
        holder.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", (row_id,))
        yield Hold(holder, probe)


class Racers:
    """Each call started at once on a thread of its own; `results()` waits for them and gives what each
    returned (or the exception it raised), in order."""

    def __init__(self, *calls: Callable[[], Any]) -> None:
        self._results: list[Any] = [None] * len(calls)
        self._threads = [threading.Thread(target=self._run, args=(i, call)) for i, call in enumerate(calls)]
        for thread in self._threads:
            thread.start()

    def _run(self, index: int, call: Callable[[], Any]) -> None:
        try:
            self._results[index] = call()
        except Exception as exc:
            self._results[index] = exc

    def results(self) -> list[Any]:
        for thread in self._threads:
            thread.join()
        return self._results
