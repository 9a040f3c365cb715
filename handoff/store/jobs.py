"""The jobs table: durable background work other than SMS and Messenger sends (email, outgoing webhooks, push,
media fetches). The retry policy and the runner live in `handoff.delivery.jobs`; this module only reads and
writes the rows.

A job is `queued` until an attempt claims it, `running` while an attempt holds its lease (next_attempt_at is
then the lease's end, so nobody else finds it due before), and ends `done` or `dead` (failed for good, or out
of time). Jobs sharing an `order_key` run one after another in id order: only the oldest unfinished job of a
key is ever offered, so a job being retried is never overtaken by the next one of its key."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from handoff.store.database import iso, row_or_none

UNFINISHED = "status IN ('queued', 'running')"  # also the partial indexes' predicate, spelled the same


@dataclass(frozen=True)
class Job:
    id: int
    tenant_id: int
    kind: str
    payload: dict[str, Any]
    order_key: str | None
    status: str
    attempts: int  # counted when claimed: 1 during the first attempt
    created_at: str
    give_up_at: str
    last_error: str | None
    finished_at: str | None


def job_of(row: sqlite3.Row) -> Job:
    return Job(
        id=int(row["id"]),
        tenant_id=int(row["tenant_id"]),
        kind=row["kind"],
        payload=dict(json.loads(row["payload"])),
        order_key=row["order_key"],
        status=row["status"],
        attempts=int(row["attempts"]),
        created_at=row["created_at"],
        give_up_at=row["give_up_at"],
        last_error=row["last_error"],
        finished_at=row["finished_at"],
    )


def enqueue(
    conn: sqlite3.Connection,
    tenant_id: int,
    kind: str,
    payload: dict[str, Any],
    *,
    order_key: str | None = None,
    delay_seconds: float = 0.0,
    give_up_after_seconds: float = 24 * 3600,
) -> int:
    """Queue a job in the caller's transaction, so it commits (or not) with the change that caused it; the
    caller wakes the runner (`ctx.wake_jobs()`) after the write. Returns the job's id."""
    now = datetime.now(UTC)
    row = conn.execute(
        "INSERT INTO jobs (tenant_id, kind, payload, order_key, next_attempt_at, give_up_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            tenant_id,
            kind,
            json.dumps(payload, separators=(",", ":")),
            order_key,
            iso(now + timedelta(seconds=delay_seconds)),
            iso(now + timedelta(seconds=give_up_after_seconds)),
            iso(now),
        ),
    ).fetchone()
    return int(row[0])


def get(conn: sqlite3.Connection, job_id: int) -> Job | None:
    row = row_or_none(conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)))
    return None if row is None else job_of(row)


def due_heads(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """(id, next_attempt_at) of unfinished jobs that head their order key (or have none), soonest due first.
    The caller checks next_attempt_at against the clock; 500 are more than one pass can start."""
    rows: list[sqlite3.Row] = conn.execute(
        f"SELECT j.id, j.next_attempt_at FROM jobs j WHERE j.{UNFINISHED} AND (j.order_key IS NULL OR NOT EXISTS"
        f" (SELECT 1 FROM jobs e WHERE e.order_key = j.order_key AND e.{UNFINISHED} AND e.id < j.id))"
        " ORDER BY j.next_attempt_at LIMIT 500"
    ).fetchall()
    return rows


def claim(conn: sqlite3.Connection, job_id: int, now: str, lease_until: str) -> Job | None:
    """Count an attempt on a job still unfinished and due at `now`, and lease it until `lease_until`; None when
    it is not due (another attempt holds it, finished it or rescheduled it since the runner read it). On
    PostgreSQL a concurrent claim waits for this row lock, then re-checks the WHERE and finds it not due."""
    row = row_or_none(
        conn.execute(
            f"UPDATE jobs SET attempts = attempts + 1, status = 'running', next_attempt_at = ?, leased_until = ?"
            f" WHERE id = ? AND {UNFINISHED} AND next_attempt_at <= ? RETURNING *",
            (lease_until, lease_until, job_id, now),
        )
    )
    return None if row is None else job_of(row)


# Outcomes apply only to the attempt that holds the job (`attempts` as claimed): one whose lease ran out and was
# taken over changes nothing, and each says whether it did.
_HELD = " WHERE id = ? AND attempts = ? AND status = 'running'"


def mark_done(conn: sqlite3.Connection, job_id: int, attempts: int, now: str) -> bool:
    cursor = conn.execute(
        "UPDATE jobs SET status = 'done', last_error = NULL, leased_until = NULL, finished_at = ?" + _HELD,
        (now, job_id, attempts),
    )
    return cursor.rowcount == 1


def mark_dead(conn: sqlite3.Connection, job_id: int, attempts: int, error: str, now: str) -> bool:
    cursor = conn.execute(
        "UPDATE jobs SET status = 'dead', last_error = ?, leased_until = NULL, finished_at = ?" + _HELD,
        (error, now, job_id, attempts),
    )
    return cursor.rowcount == 1


def schedule_retry(conn: sqlite3.Connection, job_id: int, attempts: int, next_attempt_at: str, error: str) -> bool:
    cursor = conn.execute(
        "UPDATE jobs SET status = 'queued', next_attempt_at = ?, last_error = ?, leased_until = NULL" + _HELD,
        (next_attempt_at, error, job_id, attempts),
    )
    return cursor.rowcount == 1


def release(conn: sqlite3.Connection, job_id: int, attempts: int, now: str) -> bool:
    """Give a held job back, due at `now`, without counting an error (its process is stopping)."""
    cursor = conn.execute(
        "UPDATE jobs SET status = 'queued', next_attempt_at = ?, leased_until = NULL" + _HELD, (now, job_id, attempts)
    )
    return cursor.rowcount == 1


def release_leases(conn: sqlite3.Connection, now: str) -> int:
    """Make every running job due at `now`. Only for a database one process owns (SQLite), at startup: the
    leases are its previous run's, whose attempts were cut off."""
    cursor = conn.execute(
        "UPDATE jobs SET status = 'queued', next_attempt_at = ?, leased_until = NULL WHERE status = 'running'", (now,)
    )
    return int(cursor.rowcount)


def pending_depth(conn: sqlite3.Connection, kind: str) -> tuple[int, str | None]:
    """(unfinished jobs of `kind`, created_at of the oldest): what /metrics reports for that queue."""
    row = row_or_none(
        conn.execute(f"SELECT count(*), min(created_at) FROM jobs WHERE kind = ? AND {UNFINISHED}", (kind,))
    )
    return (int(row[0]), row[1]) if row is not None else (0, None)


def forget_finished_before(conn: sqlite3.Connection, cutoff: str, limit: int = 1000) -> int:
    """Delete up to `limit` jobs that finished before `cutoff` (their own logs, such as webhook deliveries,
    keep what matters); returns how many. At most `limit` a call: on SQLite a write's statements run on the
    event loop's thread, so a week of finished jobs goes in many short writes, not one long one."""
    cursor = conn.execute(
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status IN ('done', 'dead') AND finished_at < ?"
        " ORDER BY finished_at LIMIT ?)",
        (cutoff, limit),
    )
    return int(cursor.rowcount)
