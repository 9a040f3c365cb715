"""The timers' queries: open conversations due for escalation or for closing when idle.

Each comes as a cheap existence check (run on the reader: most ticks find nothing, and a write
transaction would cost an fsync each time) and the batch the write job then acts on.

Several processes may tick on one PostgreSQL database. There the batch is read `FOR UPDATE SKIP LOCKED`: the
rows stay locked until the write commits, a row another process's tick holds is skipped, and a row it has
just changed is re-checked against the WHERE after the lock (an escalated or closed conversation drops out).
Then `take_escalation` and `take_idle` change a row only if it is still due and say whether they did, so a
conversation is acted on (and announced) once whatever interleaving the two databases allow. SQLite has one
writer process and no row locks: its reads are unchanged."""

from __future__ import annotations

import sqlite3

from handoff.store.backend import dialect
from handoff.store.database import row_or_none

# Per tick: a backlog (after downtime) is worked off over several ticks rather than in one long write.
BATCH = 200

# Served by the partial index conversations_awaiting (open, not escalated, awaiting_since set).
_AWAITING = (
    "FROM conversations WHERE status = 'open' AND escalated = 0 AND awaiting_since IS NOT NULL AND awaiting_since <= ?"
    " AND snoozed_until IS NULL"
)

# Open conversations idle since before a cutoff. On SQLite (`INDEXED BY`) read as the oldest end of each
# tenant's range of the one index on open conversations (an index of its own would be rewritten on every
# message); PostgreSQL has no INDEXED BY and its planner chooses for itself.
_IDLE_OPEN_SQLITE = (
    "FROM tenants t CROSS JOIN conversations c INDEXED BY conversations_open"
    " WHERE c.tenant_id = t.id AND c.status = 'open' AND c.last_message_at <= ? AND c.snoozed_until IS NULL"
)
_IDLE_OPEN_PG = "FROM conversations c WHERE c.status = 'open' AND c.last_message_at <= ? AND c.snoozed_until IS NULL"


def _idle_open(conn: sqlite3.Connection) -> str:
    return _IDLE_OPEN_PG if dialect(conn) == "postgresql" else _IDLE_OPEN_SQLITE


def _locked(conn: sqlite3.Connection, of: str = "") -> str:
    """PostgreSQL: lock the rows read (of table alias `of`), skipping those another transaction holds."""
    if dialect(conn) != "postgresql":
        return ""
    return f" FOR UPDATE{' OF ' + of if of else ''} SKIP LOCKED"


def any_due_for_escalation(conn: sqlite3.Connection, cutoff: str) -> bool:
    """Whether an open, unescalated conversation has awaited an answer since `cutoff` or earlier."""
    return row_or_none(conn.execute(f"SELECT 1 {_AWAITING} LIMIT 1", (cutoff,))) is not None


def due_for_escalation(conn: sqlite3.Connection, cutoff: str) -> list[sqlite3.Row]:
    """Up to BATCH such conversations (whole rows); on PostgreSQL locked, skipping those others hold."""
    rows: list[sqlite3.Row] = conn.execute(f"SELECT * {_AWAITING} LIMIT {BATCH}{_locked(conn)}", (cutoff,)).fetchall()
    return rows


def take_escalation(conn: sqlite3.Connection, conversation_id: int, cutoff: str) -> bool:
    """Mark the conversation escalated if it is still open, unescalated and awaiting since `cutoff` or
    earlier; whether it was (False: someone else escalated, answered or closed it first)."""
    cursor = conn.execute(
        "UPDATE conversations SET escalated = 1 WHERE id = ? AND status = 'open' AND escalated = 0"
        " AND awaiting_since IS NOT NULL AND awaiting_since <= ? AND snoozed_until IS NULL",
        (conversation_id, cutoff),
    )
    return cursor.rowcount == 1


def any_idle(conn: sqlite3.Connection, cutoff: str) -> bool:
    """Whether an open conversation, of any tenant, has had no message since `cutoff`."""
    return row_or_none(conn.execute(f"SELECT 1 {_idle_open(conn)} LIMIT 1", (cutoff,))) is not None


def idle(conn: sqlite3.Connection, cutoff: str) -> list[sqlite3.Row]:
    """Up to BATCH such conversations (whole rows); on PostgreSQL locked, skipping those others hold."""
    rows: list[sqlite3.Row] = conn.execute(
        f"SELECT c.* {_idle_open(conn)} LIMIT {BATCH}{_locked(conn, 'c')}", (cutoff,)
    ).fetchall()
    return rows


def take_idle(conn: sqlite3.Connection, conversation_id: int, cutoff: str, now: str) -> bool:
    """Close the conversation if it is still open with no message since `cutoff`; whether it was (False:
    a message or a close came first). The caller completes the close (system message, metrics) in the same
    write."""
    cursor = conn.execute(
        "UPDATE conversations SET status = 'closed', closed_at = ?, awaiting_since = NULL"
        " WHERE id = ? AND status = 'open' AND last_message_at <= ? AND snoozed_until IS NULL",
        (now, conversation_id, cutoff),
    )
    return cursor.rowcount == 1


# Snoozed conversations whose time has come: served by the partial index conversations_snoozed.
_SNOOZE_DUE = "FROM conversations WHERE snoozed_until IS NOT NULL AND snoozed_until <= ?"


def any_snooze_due(conn: sqlite3.Connection, now: str) -> bool:
    """Whether a snoozed conversation, of any tenant, is due to wake."""
    return row_or_none(conn.execute(f"SELECT 1 {_SNOOZE_DUE} LIMIT 1", (now,))) is not None


def snooze_due(conn: sqlite3.Connection, now: str) -> list[sqlite3.Row]:
    """Up to BATCH such conversations (whole rows); on PostgreSQL locked, skipping those others hold."""
    rows: list[sqlite3.Row] = conn.execute(f"SELECT * {_SNOOZE_DUE} LIMIT {BATCH}{_locked(conn)}", (now,)).fetchall()
    return rows


def take_wake(conn: sqlite3.Connection, conversation_id: int, now: str) -> bool:
    """End the snooze if it is still due; whether it was (False: a message, a close or another tick came first)."""
    cursor = conn.execute(
        "UPDATE conversations SET snoozed_until = NULL WHERE id = ? AND snoozed_until IS NOT NULL AND snoozed_until <= ?",
        (conversation_id, now),
    )
    return cursor.rowcount == 1
