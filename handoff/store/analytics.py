"""Analytics queries: read-only aggregates over `conversation_metrics`, `messages` and `followups`.

A report covers whole local days in a time zone `tz`: the range is [`from` 00:00, `to`+1 00:00) local time,
turned into UTC ISO strings once (stored times sort lexicographically), so every WHERE clause is an index
range. Defaults: `to` = today in `tz`, `from` = `to` - 29 days, `tz` = the tenant's `timezone` setting (UTC).
At most 366 days. Everything is scoped to the caller's tenant.

Definitions (the numbers the summary reports):
- A conversation belongs to the range by its start (`conversation_metrics.started_at`). `totals.conversations`,
  `by_channel`, `by_day` and `by_hour` (local hour of day) count conversation starts.
- `totals.messages`: customer and staff messages (never system ones) created in the range, whatever the
  conversation's start.
- `totals.closed`: conversations started in the range that are resolved (closed; a reopen clears it).
- `totals.missed`: of those, closed without any staff reply (`missed = 1`).
- `totals.escalated`: conversations started in the range that were ever escalated (`escalated = 1`).
- `totals.followups` / `followups.count`: follow-up requests created in the range. They count as starts of
  their own and are NOT added to `totals.conversations`. `followups.viewed`: of those, the ones viewed (at any
  time); `median_seconds_to_viewed` over them.
- `first_response_seconds`: over conversations started in the range that got a staff reply;
  `resolution_seconds`: over those resolved. Both give `median`, `p90` and `count` (null when count is 0).
- Percentiles: `median` is the usual one (mean of the two middle values for an even count); `p90` uses the
  nearest-rank method, the value at 1-based position ceil(0.9 * n) of the sorted values, so it is always an
  observed value. Seconds are rounded to milliseconds, the precision of stored times.
- `agents`: staff users of the tenant with activity in the range: `messages` = staff messages they authored
  in the range, `conversations` = distinct conversations they sent those in, `median_first_response_seconds`
  over conversations started in the range where they gave the first response. A user who only has first
  responses (their reply fell after the range) is listed with zero messages. Sorted by conversations, then
  messages (both descending), then user id.
- `csat`: satisfaction ratings given in the range, defined in `handoff.store.csat`; the CSV's `rating` column
  is the conversation's rating (empty when none).

Day and hour buckets are DST-correct: starts are grouped by UTC hour (by UTC quarter hour in zones with
offsets like +05:30) and each bucket is shifted to local time with zoneinfo, never with a fixed offset.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from handoff.store import csat
from handoff.store.database import parse_iso

CHANNELS = ("webchat", "sms", "messenger")
CSV_HEADER = ["conversation_id", "channel", "started_at", "first_response_seconds", "resolution_seconds"]
CSV_HEADER += ["customer_messages", "staff_messages", "escalated", "missed", "assignee", "first_responder", "rating"]
LIVE_COUNT = (
    "CASE WHEN m.resolved_at IS NULL THEN (SELECT count(*) FROM messages x WHERE x.conversation_id = m.conversation_id"
    " AND x.sender = '{sender}' AND x.private = 0) ELSE m.{column} END"
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ReportRange:
    """Whole local days `first`..`last` in `tz`, with the UTC bounds [start, end) the queries use."""

    tenant_id: int
    first: date
    last: date
    tz: ZoneInfo
    tz_name: str
    start: str
    end: str

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def tenant_timezone(conn: sqlite3.Connection, tenant_id: int) -> str | None:
    """The tenant's `timezone` setting, if any."""
    row = conn.execute("SELECT settings FROM tenants WHERE id = ?", (tenant_id,)).fetchone()
    return str(json.loads(row["settings"] or "{}").get("timezone") or "") or None if row else None


# ---- statistics -------------------------------------------------------------------------------------


def seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def median(ordered: list[float]) -> float | None:
    """The usual median of sorted values: the middle one, or the mean of the two middle ones."""
    n = len(ordered)
    if n == 0:
        return None
    mid = n // 2
    return seconds(ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2)


def p90(ordered: list[float]) -> float | None:
    """Nearest rank: the value at 1-based position ceil(0.9 * n) (integer arithmetic, no float rounding)."""
    n = len(ordered)
    return seconds(ordered[(9 * n + 9) // 10 - 1]) if n else None


def distribution(values: Iterable[float]) -> dict[str, Any]:
    ordered = sorted(values)
    return {"median": median(ordered), "p90": p90(ordered), "count": len(ordered)}


# ---- queries (synchronous; run on the reader connection's thread) -----------------------------------


def tuples(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Rows as plain tuples: cheaper than the connection's `sqlite3.Row` over ~100k rows."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute(sql, args).fetchall()


def bucket_minutes(rng: ReportRange) -> int:
    """Width of the UTC buckets starts are grouped by: an hour when every offset in range is whole hours
    (most zones), else 15 minutes (India, Nepal, Adelaide...), else 1, so each lies in one local hour."""
    offsets = set()
    day = rng.first - timedelta(days=1)
    while day <= rng.last + timedelta(days=1):
        for hour in (0, 12):
            offset = rng.tz.utcoffset(datetime.combine(day, time(hour)))
            offsets.add(int(offset.total_seconds()) // 60 if offset is not None else 0)
        day += timedelta(days=1)
    for width in (60, 15):
        if all(minutes % width == 0 for minutes in offsets):
            return width
    return 1


def bucket_local(bucket: str, tz: ZoneInfo) -> tuple[date, int]:
    """A UTC bucket 'YYYY-MM-DDTHH[:M]' as its local day and hour."""
    minute = int(bucket[14:] or 0)
    moment = datetime(
        int(bucket[0:4]), int(bucket[5:7]), int(bucket[8:10]), int(bucket[11:13]), minute, tzinfo=UTC
    ).astimezone(tz)
    return moment.date(), moment.hour


def conversation_figures(conn: sqlite3.Connection, rng: ReportRange) -> tuple[dict[str, Any], dict[int, list[float]]]:
    """Starts by channel, local day and hour; closed/missed/escalated; response-time distributions; and the
    first-response times of each first responder. One index range scan reads each row once (a second pass
    would repeat the table lookups, the dominant cost); Counter and comprehensions keep the per-row work in C."""
    width = bucket_minutes(rng)
    bucket_sql = "substr(started_at, 1, 13)"  # 'YYYY-MM-DDTHH', or 'YYYY-MM-DDTHH:M' rounded down to `width`
    if width != 60:
        bucket_sql += f" || ':' || (CAST(substr(started_at, 15, 2) AS INTEGER) / {width} * {width})"
    rows = tuples(
        conn,
        f"SELECT channel, {bucket_sql}, first_responder_id, first_response_seconds, resolution_seconds, missed,"
        " escalated FROM conversation_metrics WHERE tenant_id = ? AND started_at >= ? AND started_at < ?",
        (rng.tenant_id, rng.start, rng.end),
    )
    starts = Counter(row[:2] for row in rows)
    first = [row[3] for row in rows if row[3] is not None]
    resolution = [row[4] for row in rows if row[4] is not None]
    by_responder: dict[int, list[float]] = defaultdict(list)
    for _, _, responder, first_seconds, *_ in rows:
        if responder is not None and first_seconds is not None:
            by_responder[responder].append(first_seconds)
    by_day = {day: dict.fromkeys(CHANNELS, 0) for day in rng.days()}
    by_hour = [0] * 24
    by_channel = dict.fromkeys(CHANNELS, 0)
    local_of: dict[str, tuple[date, int]] = {}
    for (channel, bucket), count in starts.items():
        if bucket not in local_of:
            local_of[bucket] = bucket_local(bucket, rng.tz)
        day, hour = local_of[bucket]
        if (counts := by_day.get(day)) is not None:  # always: range bounds are bucket bounds
            counts[channel] += count
        by_hour[hour] += count
        by_channel[channel] += count
    figures = {
        "conversations": len(rows),
        "closed": len(resolution),
        "missed": sum(map(itemgetter(5), rows)),
        "escalated": sum(map(itemgetter(6), rows)),
        "by_channel": by_channel,
        "by_day": [{"date": d.isoformat(), **c, "total": sum(c.values())} for d, c in by_day.items()],
        "by_hour": [{"hour": hour, "count": count} for hour, count in enumerate(by_hour)],
        "first_response_seconds": distribution(first),
        "resolution_seconds": distribution(resolution),
    }
    return figures, by_responder


def message_count(conn: sqlite3.Connection, rng: ReportRange) -> int:
    """Customer and staff messages created in the range (system messages and private notes excluded)."""
    return int(
        tuples(
            conn,
            "SELECT count(*) FROM messages WHERE tenant_id = ? AND sender IN ('visitor', 'staff')"
            " AND created_at >= ? AND created_at < ? AND private = 0",
            (rng.tenant_id, rng.start, rng.end),
        )[0][0]
    )


def agents(conn: sqlite3.Connection, rng: ReportRange, by_responder: dict[int, list[float]]) -> list[dict[str, Any]]:
    """Per staff user with activity in range: conversations, messages, median first response."""
    listed = []
    for user_id, name in tuples(conn, "SELECT id, name FROM users WHERE tenant_id = ?", (rng.tenant_id,)):
        # One index range per user on messages_author (tenant_id, author_id, created_at): a GROUP BY
        # author_id could not use the created_at bound and would read the tenant's whole staff history.
        messages, conversations = tuples(
            conn,
            "SELECT count(*), count(DISTINCT conversation_id) FROM messages WHERE tenant_id = ? AND author_id = ?"
            " AND created_at >= ? AND created_at < ? AND sender = 'staff' AND private = 0",
            (rng.tenant_id, user_id, rng.start, rng.end),
        )[0]
        firsts = by_responder.get(user_id, [])
        if messages or firsts:
            listed.append(
                {
                    "user_id": user_id,
                    "name": name,
                    "conversations": conversations,
                    "messages": messages,
                    "median_first_response_seconds": median(sorted(firsts)),
                }
            )
    listed.sort(key=lambda a: (-a["conversations"], -a["messages"], a["user_id"]))
    return listed


def followup_stats(conn: sqlite3.Connection, rng: ReportRange) -> dict[str, Any]:
    rows = tuples(
        conn,
        "SELECT created_at, viewed_at FROM followups WHERE tenant_id = ? AND created_at >= ? AND created_at < ?",
        (rng.tenant_id, rng.start, rng.end),
    )
    waits = sorted(
        (parse_iso(viewed) - parse_iso(created)).total_seconds() for created, viewed in rows if viewed is not None
    )
    return {"count": len(rows), "viewed": len(waits), "median_seconds_to_viewed": median(waits)}


def summary(conn: sqlite3.Connection, rng: ReportRange) -> dict[str, Any]:
    """The whole summary in one read transaction, so every figure comes from the same snapshot."""
    own_transaction = not conn.in_transaction
    if own_transaction:
        conn.execute("BEGIN")
    try:
        figures, by_responder = conversation_figures(conn, rng)
        messages = message_count(conn, rng)
        follow = followup_stats(conn, rng)
        team = agents(conn, rng, by_responder)
        ratings = csat.figures(conn, rng.tenant_id, rng.start, rng.end)
    finally:
        if own_transaction:
            conn.execute("COMMIT")
    return {
        "from": rng.first.isoformat(),
        "to": rng.last.isoformat(),
        "timezone": rng.tz_name,
        "totals": {
            "conversations": figures["conversations"],
            "messages": messages,
            "closed": figures["closed"],
            "missed": figures["missed"],
            "escalated": figures["escalated"],
            "followups": follow["count"],
        },
        "by_channel": figures["by_channel"],
        "by_day": figures["by_day"],
        "by_hour": figures["by_hour"],
        "first_response_seconds": figures["first_response_seconds"],
        "resolution_seconds": figures["resolution_seconds"],
        "followups": follow,
        "agents": team,
        "csat": ratings,
    }


def safe_cell(value: str | None) -> str:
    """Neutralise spreadsheet formulas in a text cell (CSV injection): prefix a quote to =, +, -, @ ..."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def export_rows(conn: sqlite3.Connection, rng: ReportRange) -> str:
    """One CSV row per conversation started in the range, oldest first, header first."""
    # Staff names are the free text here; guard each once per user rather than once per row.
    names = {
        user_id: safe_cell(name)
        for user_id, name in tuples(conn, "SELECT id, name FROM users WHERE tenant_id = ?", (rng.tenant_id,))
    }
    rows = tuples(
        conn,
        "SELECT m.conversation_id, m.channel, m.started_at, m.first_response_seconds, m.resolution_seconds,"
        # Message counts are recorded at close; an open conversation's are counted now.
        f" {LIVE_COUNT.format(column='customer_messages', sender='visitor')},"
        f" {LIVE_COUNT.format(column='staff_messages', sender='staff')},"
        " m.escalated, m.missed, c.assignee_id, m.first_responder_id, s.rating"
        " FROM conversation_metrics m JOIN conversations c ON c.id = m.conversation_id"
        " LEFT JOIN csat_surveys s ON s.conversation_id = m.conversation_id"
        " WHERE m.tenant_id = ? AND m.started_at >= ? AND m.started_at < ? ORDER BY m.started_at, m.conversation_id",
        (rng.tenant_id, rng.start, rng.end),
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for cid, channel, started, first, resolved, *counts, assignee, responder, rating in rows:
        people = (names.get(assignee, ""), names.get(responder, ""))
        writer.writerow(
            (cid, safe_cell(channel), safe_cell(started), seconds(first), seconds(resolved), *counts, *people,
             "" if rating is None else rating)
        )  # fmt: skip
    return out.getvalue()
