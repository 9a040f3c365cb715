"""Claiming background work on real PostgreSQL from several connections at once, as several server processes
do: every due outbox row is claimed by one connection only, and every overdue or idle conversation is taken
by one timer tick only."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import psycopg
import pytest

from handoff.store import jobs, migrator, outbox, timers
from handoff.store.database import now_iso
from handoff.store.pg_adapter import PgConnection, configure
from tests.support import eventually
from tests.unit.store import seed

WORKERS = 4
T = TypeVar("T")


@pytest.fixture(scope="module")
def url(pg_url: str) -> str:
    migrator.migrate(pg_url)
    return pg_url


@contextlib.contextmanager
def connection(url: str, autocommit: bool = False) -> Iterator[Any]:
    """A connection of the test's own through the store's adapter (`?` placeholders, rows by name)."""
    with psycopg.connect(url, autocommit=autocommit) as raw:
        configure(raw)
        yield PgConnection(raw)


def in_parallel(url: str, work: Callable[[int, Any], T]) -> list[T]:
    """`work(worker, conn)` on WORKERS threads, each with its own connection; their results in worker order."""

    def one(worker: int) -> T:
        with connection(url) as conn:
            return work(worker, conn)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(one, range(WORKERS)))


def waiting_on_locks(url: str) -> int:
    """How many other sessions of this database are blocked on a row lock right now."""
    with connection(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        return int(row[0])


def test_concurrent_claims_of_the_same_due_rows_give_each_row_to_one_connection(url: str) -> None:
    with connection(url) as conn:
        tenant_id = seed.tenant(conn, "claims")
        ids = []
        for n in range(20):
            conversation = seed.conversation(conn, tenant_id, f"+1555100{n:02d}")
            message_id = seed.staff_message(conn, conversation)
            outbox.enqueue(conn, tenant_id, message_id, "sms", seed.ago(5))
            ids.append(conn.execute("SELECT id FROM outbox WHERE message_id = ?", (message_id,)).fetchone()["id"])
        conn.raw.commit()
    start = threading.Barrier(WORKERS, timeout=30)
    lease_end = seed.ago(-60)

    def claim_each(worker: int, conn: Any) -> list[int]:
        won = []
        for outbox_id in ids:
            start.wait()  # every worker claims this row at the same moment
            if outbox.claim(conn, outbox_id, now_iso(), lease_end) is not None:
                won.append(outbox_id)
                # Hold the row lock until every other worker's UPDATE waits on it: each must then re-check
                # its WHERE against the committed row (no longer due) rather than claim it again.
                eventually(lambda: waiting_on_locks(url) == WORKERS - 1)
            conn.raw.commit()
        return won

    won = in_parallel(url, claim_each)
    claimed = Counter(outbox_id for worker in won for outbox_id in worker)
    assert claimed == Counter(ids)  # every row once
    with connection(url) as conn:
        rows = conn.execute(
            "SELECT attempts, next_attempt_at, leased_until FROM outbox WHERE id = ANY(?)", (ids,)
        ).fetchall()
    assert {tuple(row) for row in rows} == {(1, lease_end, lease_end)}


def test_concurrent_timer_ticks_take_each_conversation_once(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timers, "BATCH", 3)  # several rounds, so the workers' batches interleave
    with connection(url) as conn:
        tenant_id = seed.tenant(conn, "ticks")
        overdue, idle = [], []
        for n in range(12):
            waiting = seed.visitor_message(conn, seed.conversation(conn, tenant_id, f"wait-{n}", "webchat"))
            seed.set_columns(conn, "conversations", waiting["id"], awaiting_since=seed.ago(600))
            overdue.append(waiting["id"])
            quiet = seed.visitor_message(conn, seed.conversation(conn, tenant_id, f"idle-{n}", "webchat"))
            seed.set_columns(conn, "conversations", quiet["id"], last_message_at=seed.ago(7200), awaiting_since=None)
            idle.append(quiet["id"])
        conn.raw.commit()
    cutoff, idle_cutoff = seed.ago(60), seed.ago(3600)
    round_start, all_read, all_committed = (threading.Barrier(WORKERS, timeout=30) for _ in range(3))

    def tick_until_done(worker: int, conn: Any) -> tuple[list[int], list[int]]:
        escalated: list[int] = []
        closed: list[int] = []
        while True:
            round_start.wait()
            batch = [row["id"] for row in timers.due_for_escalation(conn, cutoff)]
            escalated += [cid for cid in batch if timers.take_escalation(conn, cid, cutoff)]
            quiet = [row["id"] for row in timers.idle(conn, idle_cutoff)]
            closed += [cid for cid in quiet if timers.take_idle(conn, cid, idle_cutoff, now_iso())]
            # Every worker reads its batch while the others hold theirs (SKIP LOCKED: nobody waits for a lock).
            all_read.wait()
            conn.raw.commit()
            all_committed.wait()  # so every worker sees the same state and stops in the same round
            remaining = timers.any_due_for_escalation(conn, cutoff) or timers.any_idle(conn, idle_cutoff)
            conn.raw.commit()
            if not remaining:
                return escalated, closed

    results = in_parallel(url, tick_until_done)
    assert Counter(cid for escalated, _ in results for cid in escalated) == Counter(overdue)
    assert Counter(cid for _, closed in results for cid in closed) == Counter(idle)
    assert sum(1 for escalated, _ in results if escalated) > 1  # the work was shared, not done by one worker
    with connection(url) as conn:
        states = conn.execute(
            "SELECT id, escalated, status FROM conversations WHERE id = ANY(?)", (overdue + idle,)
        ).fetchall()
    assert {row["id"]: (row["escalated"], row["status"]) for row in states} == {
        **{cid: (1, "open") for cid in overdue},
        **{cid: (0, "closed") for cid in idle},
    }


def test_concurrent_claims_of_the_same_due_jobs_give_each_job_to_one_connection(url: str) -> None:
    with connection(url) as conn:
        tenant_id = seed.tenant(conn, "job claims")
        ids = [jobs.enqueue(conn, tenant_id, "email", {"n": n}) for n in range(20)]
        # Two of one key: only the older is ever offered while it is unfinished.
        ordered = [jobs.enqueue(conn, tenant_id, "webhook", {"n": n}, order_key="webhook:1:1") for n in range(2)]
        conn.raw.commit()
        heads = {row["id"] for row in jobs.due_heads(conn)}
        assert ordered[0] in heads and ordered[1] not in heads and set(ids) <= heads
    start = threading.Barrier(WORKERS, timeout=30)
    lease_end = seed.ago(-60)

    def claim_each(worker: int, conn: Any) -> list[int]:
        won = []
        for job_id in ids:
            start.wait()
            if jobs.claim(conn, job_id, now_iso(), lease_end) is not None:
                won.append(job_id)
                eventually(lambda: waiting_on_locks(url) == WORKERS - 1)
            conn.raw.commit()
        return won

    claimed = Counter(job_id for worker in in_parallel(url, claim_each) for job_id in worker)
    assert claimed == Counter(ids)
    with connection(url) as conn:
        rows = conn.execute("SELECT status, attempts, leased_until FROM jobs WHERE id = ANY(?)", (ids,)).fetchall()
    assert {tuple(row) for row in rows} == {("running", 1, lease_end)}
