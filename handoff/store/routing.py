"""Routing's rows: agents' availability and caps, the queue of unassigned open conversations, and taking
one for an agent. `assign_waiting` is the one read-then-write of auto-assignment: the caller holds the
tenant's `serialised` lock, so on PostgreSQL two processes never both count an agent below their cap."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass

from handoff.store.database import now_iso, row_or_none

# Per run: a long backlog is worked off over later triggers rather than in one long write.
QUEUE_BATCH = 200


@dataclass
class Agent:
    id: int
    max_open: int | None  # None: no cap
    open_count: int
    last_assigned_at: str  # "" when never: first in a tie

    def has_room(self) -> bool:
        return self.max_open is None or self.open_count < self.max_open


def availability(conn: sqlite3.Connection, tenant_id: int, user_id: int) -> str | None:
    row = row_or_none(
        conn.execute("SELECT availability FROM users WHERE id = ? AND tenant_id = ?", (user_id, tenant_id))
    )
    return None if row is None else str(row["availability"])


def set_availability(conn: sqlite3.Connection, tenant_id: int, user_id: int, value: str) -> bool:
    """Store the agent's choice; whether it changed."""
    cursor = conn.execute(
        "UPDATE users SET availability = ? WHERE id = ? AND tenant_id = ? AND availability <> ?",
        (value, user_id, tenant_id, value),
    )
    return cursor.rowcount == 1


def away_user_ids(conn: sqlite3.Connection, tenant_id: int) -> set[int]:
    rows = conn.execute("SELECT id FROM users WHERE tenant_id = ? AND availability = 'away'", (tenant_id,))
    return {int(r["id"]) for r in rows}


def agents(conn: sqlite3.Connection, tenant_id: int, user_ids: Collection[int]) -> list[Agent]:
    """The enabled agents among `user_ids` with their open assigned conversations counted."""
    if not user_ids:
        return []
    marks = ", ".join("?" * len(user_ids))
    rows = conn.execute(
        "SELECT u.id, u.max_open, u.last_assigned_at, (SELECT COUNT(*) FROM conversations c WHERE c.tenant_id = u.tenant_id"
        " AND c.assignee_id = u.id AND c.status = 'open') AS open_count"
        f" FROM users u WHERE u.tenant_id = ? AND u.disabled = 0 AND u.availability = 'online' AND u.id IN ({marks})",
        (tenant_id, *user_ids),
    )
    return [Agent(r["id"], r["max_open"], int(r["open_count"]), r["last_assigned_at"] or "") for r in rows]


def pick(candidates: list[Agent]) -> Agent | None:
    """The agent with room and the fewest open conversations; ties: the one assigned least recently."""
    roomy = [a for a in candidates if a.has_room()]
    return min(roomy, key=lambda a: (a.open_count, a.last_assigned_at, a.id)) if roomy else None


def waiting(conn: sqlite3.Connection, tenant_id: int) -> list[int]:
    """Open conversations with nobody assigned, oldest first (the partial index conversations_unassigned)."""
    rows = conn.execute(
        "SELECT id FROM conversations WHERE tenant_id = ? AND status = 'open' AND assignee_id IS NULL"
        f" ORDER BY created_at, id LIMIT {QUEUE_BATCH}",
        (tenant_id,),
    )
    return [int(r["id"]) for r in rows]


def take(conn: sqlite3.Connection, conversation_id: int, agent: Agent) -> bool:
    """Assign the conversation if it is still open and unassigned; whether it was. The agent's count and
    last-assigned time move with it."""
    cursor = conn.execute(
        "UPDATE conversations SET assignee_id = ? WHERE id = ? AND status = 'open' AND assignee_id IS NULL",
        (agent.id, conversation_id),
    )
    if cursor.rowcount != 1:
        return False
    agent.last_assigned_at = now_iso()
    agent.open_count += 1
    conn.execute("UPDATE users SET last_assigned_at = ? WHERE id = ?", (agent.last_assigned_at, agent.id))
    return True


def unassign_if(conn: sqlite3.Connection, conversation_id: int, assignee_id: int) -> bool:
    """Put a reopened conversation back in the queue when its last assignee is not available."""
    cursor = conn.execute(
        "UPDATE conversations SET assignee_id = NULL WHERE id = ? AND assignee_id = ? AND status = 'open'",
        (conversation_id, assignee_id),
    )
    return cursor.rowcount == 1


def mark_away_sent(conn: sqlite3.Connection, conversation_id: int) -> bool:
    """Claim the conversation's one away message; False when it already had it."""
    cursor = conn.execute("UPDATE conversations SET away_sent = 1 WHERE id = ? AND away_sent = 0", (conversation_id,))
    return cursor.rowcount == 1


def defer_escalation(conn: sqlite3.Connection, conversation_id: int, until: str) -> None:
    """Outside business hours the waiting clock starts again at the next opening."""
    conn.execute(
        "UPDATE conversations SET awaiting_since = ? WHERE id = ? AND awaiting_since IS NOT NULL",
        (until, conversation_id),
    )
