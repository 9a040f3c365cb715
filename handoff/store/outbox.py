"""The outbox table (durable SMS and Messenger sends) and provider_status (delivery reports that arrived
before their send recorded its provider id). The retry policy and status rules live in
`handoff.delivery.outbox`; this module only reads and writes the rows."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from handoff.store.database import row_or_none


def enqueue(conn: sqlite3.Connection, tenant_id: int, message_id: int, channel: str, now: str) -> None:
    """Queue a stored staff message for delivery, due at once (call it in the write that stores it)."""
    conn.execute(
        "INSERT INTO outbox (tenant_id, message_id, channel, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)",
        (tenant_id, message_id, channel, now, now),
    )


def due_heads(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """(id, next_attempt_at) of the oldest pending row of each conversation, soonest due first.

    Only a conversation's oldest pending row is ever offered, so a reply being retried is never overtaken
    by the next one; the caller checks next_attempt_at against the clock. 500 rows are more than one
    dispatcher pass can start: the rest are due later and the next pass sees them."""
    rows: list[sqlite3.Row] = conn.execute(
        "SELECT id, next_attempt_at FROM (SELECT o.id, o.next_attempt_at, row_number() OVER"
        " (PARTITION BY m.conversation_id ORDER BY o.id) AS place FROM outbox o JOIN messages m ON m.id = o.message_id"
        " WHERE o.state = 'pending') AS heads WHERE place = 1 ORDER BY next_attempt_at LIMIT 500"
    ).fetchall()
    return rows


def pending_depth(conn: sqlite3.Connection) -> tuple[int, str | None]:
    """(rows waiting to be sent, created_at of the oldest of them): the /metrics scrape reads it, through the
    partial index on pending rows, so it costs what the queue holds, not what the table holds."""
    row = row_or_none(conn.execute("SELECT count(*), min(created_at) FROM outbox WHERE state = 'pending'"))
    return (int(row[0]), row[1]) if row is not None else (0, None)


def claim(conn: sqlite3.Connection, outbox_id: int, now: str, lease_until: str) -> sqlite3.Row | None:
    """Count an attempt on a row still pending and due at `now` and lease it until `lease_until`, returning
    the row (its `attempts` is the attempt's fencing token); None when it is not due (another attempt holds
    its lease, finished it or rescheduled it since the dispatcher read it).

    The lease is next_attempt_at moved to its end in the same statement, so nobody else finds the row due
    before then. On PostgreSQL a concurrent claim of the same row waits for this one's row lock and then
    re-checks its WHERE against the committed row, which is no longer due: one of them gets it."""
    return row_or_none(
        conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, leased_until = ?"
            " WHERE id = ? AND state = 'pending' AND next_attempt_at <= ? RETURNING *",
            (lease_until, lease_until, outbox_id, now),
        )
    )


# The outcomes below apply only to the attempt that holds the row (`attempts` as claimed): an owner whose
# lease ran out and was taken over changes nothing, and each returns whether it did.
_HELD = " WHERE id = ? AND attempts = ? AND state = 'pending'"


def mark_done(conn: sqlite3.Connection, outbox_id: int, attempts: int, sent_at: str) -> bool:
    """The platform accepted the send that started at `sent_at`."""
    cursor = conn.execute(
        "UPDATE outbox SET state = 'done', last_error = NULL, sent_at = ?, leased_until = NULL" + _HELD,
        (sent_at, outbox_id, attempts),
    )
    return cursor.rowcount == 1


def schedule_retry(conn: sqlite3.Connection, outbox_id: int, attempts: int, next_attempt_at: str, error: str) -> bool:
    cursor = conn.execute(
        "UPDATE outbox SET next_attempt_at = ?, last_error = ?, leased_until = NULL" + _HELD,
        (next_attempt_at, error, outbox_id, attempts),
    )
    return cursor.rowcount == 1


def postpone(conn: sqlite3.Connection, outbox_id: int, attempts: int | None, next_attempt_at: str) -> bool:
    """Move a row's next attempt without recording an error (its attempt crashed before an outcome). With
    `attempts` None the crash came before a claim: the row is moved only if no attempt holds it."""
    if attempts is None:
        cursor = conn.execute(
            "UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND state = 'pending' AND leased_until IS NULL",
            (next_attempt_at, outbox_id),
        )
    else:
        cursor = conn.execute(
            "UPDATE outbox SET next_attempt_at = ?, leased_until = NULL" + _HELD, (next_attempt_at, outbox_id, attempts)
        )
    return cursor.rowcount == 1


def mark_failed(conn: sqlite3.Connection, outbox_id: int, attempts: int, error: str) -> bool:
    cursor = conn.execute(
        "UPDATE outbox SET state = 'failed', last_error = ?, leased_until = NULL" + _HELD, (error, outbox_id, attempts)
    )
    return cursor.rowcount == 1


def release_leases(conn: sqlite3.Connection, now: str) -> int:
    """Make every leased row due at `now`; returns how many. Only for a database one process owns (SQLite),
    at startup: the leases are its previous run's, whose sends were cut off."""
    cursor = conn.execute(
        "UPDATE outbox SET next_attempt_at = ?, leased_until = NULL WHERE state = 'pending' AND leased_until IS NOT NULL",
        (now,),
    )
    return int(cursor.rowcount)


def progress(conn: sqlite3.Connection, message_id: int) -> dict[str, Any]:
    """How far a multi-part send of this message got (empty when nothing was noted)."""
    row = row_or_none(conn.execute("SELECT progress FROM outbox WHERE message_id = ?", (message_id,)))
    return dict(json.loads(row["progress"])) if row and row["progress"] else {}


def save_progress(conn: sqlite3.Connection, message_id: int, progress: dict[str, Any]) -> None:
    conn.execute("UPDATE outbox SET progress = ? WHERE message_id = ?", (json.dumps(progress), message_id))


# ---- status reports waiting for their provider id ---------------------------------------------------


def forget_statuses_before(conn: sqlite3.Connection, cutoff: str) -> None:
    """Drop waiting reports older than `cutoff`: their send never recorded the id (or went elsewhere)."""
    conn.execute("DELETE FROM provider_status WHERE created_at < ?", (cutoff,))


def remember_status(
    conn: sqlite3.Connection,
    tenant_id: int,
    channel: str,
    provider_id: str,
    status: str,
    error: str | None,
    now: str,
) -> None:
    """Keep a report for a provider id no message holds yet; `take_statuses` applies it later."""
    conn.execute(
        "INSERT INTO provider_status (tenant_id, channel, provider_id, status, error, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (tenant_id, channel, provider_id, status, error, now),
    )


def take_statuses(conn: sqlite3.Connection, tenant_id: int, channel: str, provider_id: str) -> list[sqlite3.Row]:
    """Remove and return (status, error) of the reports kept for this provider id, in no particular order."""
    rows: list[sqlite3.Row] = conn.execute(
        "DELETE FROM provider_status WHERE channel = ? AND provider_id = ? AND tenant_id = ? RETURNING status, error",
        (channel, provider_id, tenant_id),
    ).fetchall()
    return rows
