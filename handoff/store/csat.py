"""Customer satisfaction surveys: one `csat_surveys` row per conversation a staff member closed while the
tenant's `csat` setting was on, rated at most once. The figures the analytics summary reports:

- `responses`: surveys rated in the report's range (by `rated_at`), `average` their mean rating (2 decimals,
  null when none).
- `by_agent`: the same per agent, the conversation's assignee when it was closed (unassigned: left out),
  sorted by responses (descending), then user id.
- `by_channel`: the same per channel (webchat, sms, messenger), every channel present.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from handoff.store.database import row_or_none

CHANNELS = ("webchat", "sms", "messenger")


def ask(conn: sqlite3.Connection, conversation: sqlite3.Row, agent_id: int | None, now: str) -> bool:
    """Record that this conversation's customer is asked for a rating; False when it already was (a
    conversation reopened and closed again is surveyed once)."""
    cursor = conn.execute(
        "INSERT INTO csat_surveys (conversation_id, tenant_id, contact_id, channel, agent_id, asked_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (conversation["id"], conversation["tenant_id"], conversation["contact_id"], conversation["channel"],
         agent_id, now),
    )  # fmt: skip
    return cursor.rowcount == 1


def survey(conn: sqlite3.Connection, tenant_id: int, conversation_id: int) -> sqlite3.Row | None:
    return row_or_none(
        conn.execute(
            "SELECT * FROM csat_surveys WHERE conversation_id = ? AND tenant_id = ?", (conversation_id, tenant_id)
        )
    )


def unrated(conn: sqlite3.Connection, tenant_id: int, conversation_id: int) -> bool:
    """Whether the conversation was surveyed and still waits for its rating."""
    row = survey(conn, tenant_id, conversation_id)
    return row is not None and row["rating"] is None


def rate(
    conn: sqlite3.Connection, tenant_id: int, conversation_id: int, rating: int, comment: str | None, now: str
) -> bool:
    """Store the rating unless one is stored already (False then): one statement, so two at once cannot
    both succeed on either database."""
    cursor = conn.execute(
        "UPDATE csat_surveys SET rating = ?, comment = ?, rated_at = ?"
        " WHERE conversation_id = ? AND tenant_id = ? AND rating IS NULL",
        (rating, comment, now, conversation_id, tenant_id),
    )
    return cursor.rowcount == 1


def pending_for_contact(conn: sqlite3.Connection, contact_id: int, asked_since: str) -> sqlite3.Row | None:
    """The contact's newest unanswered survey asked at or after `asked_since`, if any."""
    return row_or_none(
        conn.execute(
            "SELECT * FROM csat_surveys WHERE contact_id = ? AND rating IS NULL AND asked_at >= ?"
            " ORDER BY asked_at DESC LIMIT 1",
            (contact_id, asked_since),
        )
    )


def restore_awaiting(conn: sqlite3.Connection, conversation_id: int, awaiting_since: str | None) -> None:
    """Undo the waiting clock a rating reply stored in its closed conversation would start."""
    conn.execute("UPDATE conversations SET awaiting_since = ? WHERE id = ?", (awaiting_since, conversation_id))


def _mean(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None


def figures(conn: sqlite3.Connection, tenant_id: int, start: str, end: str) -> dict[str, Any]:
    """Ratings given in [start, end): responses, average, by agent and by channel (see the module doc)."""
    rows = conn.execute(
        "SELECT s.channel, s.agent_id, u.name, count(*) AS n, sum(s.rating) AS total FROM csat_surveys s"
        " LEFT JOIN users u ON u.id = s.agent_id WHERE s.tenant_id = ? AND s.rating IS NOT NULL"
        " AND s.rated_at >= ? AND s.rated_at < ? GROUP BY s.channel, s.agent_id, u.name",
        (tenant_id, start, end),
    ).fetchall()
    channels = {c: [0, 0] for c in CHANNELS}
    agents: dict[int, dict[str, Any]] = {}
    count = total = 0
    for row in rows:
        n, subtotal = int(row["n"]), int(row["total"])
        count, total = count + n, total + subtotal
        if row["channel"] in channels:
            channels[row["channel"]][0] += n
            channels[row["channel"]][1] += subtotal
        if row["agent_id"] is not None:
            agent = agents.setdefault(row["agent_id"], {"name": row["name"] or "", "n": 0, "total": 0})
            agent["n"] += n
            agent["total"] += subtotal
    by_agent = [
        {"user_id": user_id, "name": a["name"], "responses": a["n"], "average": _mean(a["total"], a["n"])}
        for user_id, a in sorted(agents.items(), key=lambda item: (-item[1]["n"], item[0]))
    ]
    return {
        "responses": count,
        "average": _mean(total, count),
        "by_agent": by_agent,
        "by_channel": {c: {"responses": n, "average": _mean(t, n)} for c, (n, t) in channels.items()},
    }
