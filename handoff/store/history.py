"""History queries: closed conversations and imported transcripts, searched with SQLite FTS5."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from typing import Any

from handoff.store.database import now_iso

WORD = re.compile(r"\w+", re.UNICODE)
CLOSED_SELECT = """
SELECT 'conversation' AS kind, c.id, c.channel, coalesce(ct.name, ct.email, ct.phone, ct.external_id) AS contact_name,
       c.created_at AS started_at, c.closed_at AS ended_at, %s AS snippet
FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
"""
IMPORTED_SELECT = """
SELECT 'imported' AS kind, h.id, h.channel, h.contact_name, h.started_at, h.ended_at, %s AS snippet FROM history h
"""
IMPORTED_FIELDS = (
    "id",
    "channel",
    "contact_name",
    "contact_handle",
    "transcript",
    "source",
    "started_at",
    "ended_at",
    "imported_at",
)


def fts_query(text: str) -> str | None:
    """User words to an FTS5 query: every word must match, the last one as a prefix; no operators injected."""
    words = WORD.findall(text)[:12]
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def search(
    conn: sqlite3.Connection,
    tenant_id: int,
    *,
    text: str,
    channel: str | None,
    ended_from: str,
    ended_before: str,
    limit: int,
) -> list[dict[str, Any]]:
    """Closed and imported conversations ending in [ended_from, ended_before), newest first; `text`
    (when it has words) must match their full text."""
    match = fts_query(text)
    if match is None:
        return _browse(conn, tenant_id, channel, ended_from, ended_before, limit)
    # Newest first by rowid (2 x id), read lazily: FTS5 walks the match list backwards and stops once the
    # page is full, so a word found in most conversations costs no more than a rare one (no ranking of
    # every match, snippets only for rows returned).
    hits = conn.execute(
        "SELECT s.kind, s.ref_id, snippet(search_index, 0, '', '', '…', 16) AS snippet FROM search_index s"
        " WHERE search_index MATCH ? AND s.tenant_id = ? ORDER BY s.rowid DESC",
        (match, tenant_id),
    )
    results: list[dict[str, Any]] = []
    for hit in hits:
        if hit["kind"] == "conversation":
            row = conn.execute(
                CLOSED_SELECT % "?" + " WHERE c.id = ? AND c.status = 'closed'", (hit["snippet"], hit["ref_id"])
            ).fetchone()
        else:
            row = conn.execute(IMPORTED_SELECT % "?" + " WHERE h.id = ?", (hit["snippet"], hit["ref_id"])).fetchone()
        if row and (not channel or row["channel"] == channel) and ended_from <= (row["ended_at"] or "") < ended_before:
            results.append(dict(row))
            if len(results) >= limit:
                break
    return results


def _browse(
    conn: sqlite3.Connection, tenant_id: int, channel: str | None, ended_from: str, ended_before: str, limit: int
) -> list[dict[str, Any]]:
    closed = (
        CLOSED_SELECT % "NULL"
        + " WHERE c.tenant_id = ? AND c.status = 'closed' AND (? IS NULL OR c.channel = ?) AND c.closed_at >= ? AND c.closed_at < ?"
    )
    imported = (
        IMPORTED_SELECT % "NULL"
        + " WHERE h.tenant_id = ? AND (? IS NULL OR h.channel = ?) AND coalesce(h.ended_at, '') >= ? AND coalesce(h.ended_at, '') < ?"
    )
    args = (tenant_id, channel, channel, ended_from, ended_before)
    rows = conn.execute(
        f"SELECT * FROM ({closed} UNION ALL {imported}) ORDER BY ended_at DESC LIMIT ?", (*args, *args, limit)
    )
    return [dict(r) for r in rows]


def imported_transcript(conn: sqlite3.Connection, tenant_id: int, history_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM history WHERE id = ? AND tenant_id = ?", (history_id, tenant_id)).fetchone()
    return {k: row[k] for k in IMPORTED_FIELDS} if row else None


def import_transcripts(conn: sqlite3.Connection, tenant_id: int, items: Iterable[dict[str, Any]]) -> list[int]:
    """Store past transcripts (their search index rows are written by a trigger); returns their ids."""
    ids = []
    for item in items:
        cursor = conn.execute(
            "INSERT INTO history (tenant_id, channel, contact_name, contact_handle, transcript, source, started_at,"
            " ended_at, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                tenant_id,
                item["channel"],
                item.get("contact_name"),
                item.get("contact_handle"),
                item["transcript"],
                item.get("source"),
                item.get("started_at"),
                item.get("ended_at"),
                now_iso(),
            ),
        )
        ids.append(int(cursor.lastrowid or 0))
    return ids
