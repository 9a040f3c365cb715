"""History queries: closed conversations and imported transcripts, searched in full text: SQLite's FTS5
`search_index`, or on PostgreSQL the table of that name with a tsvector `document` (GIN-indexed).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from handoff.store.backend import dialect
from handoff.store.database import now_iso, one_row

WORD = re.compile(r"\w+", re.UNICODE)
# PostgreSQL's index splits the body on anything not a letter or digit (see migrations_pg), the underscore too.
PG_WORD = re.compile(r"[^\W_]+", re.UNICODE)
PG_PAGE = 100
# Up to 16 words around the first match, with "…" where the text goes on, as FTS5's snippet() gives.
PG_SNIPPET = """(SELECT CASE WHEN position(h IN s.body) > 1 THEN '…' ELSE '' END || h
  || CASE WHEN position(h IN s.body) + length(h) <= length(s.body) THEN '…' ELSE '' END
  FROM search_index s, ts_headline('handoff_search', s.body, to_tsquery('handoff_search', ?),
    'StartSel="", StopSel="", MaxWords=16, MinWords=8, ShortWord=0') AS h WHERE s.rowid = ?)"""
# A hit: kind, ref_id, and the SQL (with its parameters) that yields its snippet in the row's SELECT.
Hit = tuple[str, int, str, tuple[Any, ...]]
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
    if dialect(conn) == "postgresql":
        query = ts_query(text)
        if query is None:
            return _browse(conn, tenant_id, channel, ended_from, ended_before, limit)
        hits = _tsvector_hits(conn, tenant_id, query)
    else:
        match = fts_query(text)
        if match is None:
            return _browse(conn, tenant_id, channel, ended_from, ended_before, limit)
        hits = _fts_hits(conn, tenant_id, match)
    results: list[dict[str, Any]] = []
    for kind, ref_id, snippet_sql, snippet_args in hits:
        if kind == "conversation":
            sql = CLOSED_SELECT % snippet_sql + " WHERE c.id = ? AND c.status = 'closed'"
        else:
            sql = IMPORTED_SELECT % snippet_sql + " WHERE h.id = ?"
        row = conn.execute(sql, (*snippet_args, ref_id)).fetchone()
        if row and (not channel or row["channel"] == channel) and ended_from <= (row["ended_at"] or "") < ended_before:
            results.append(dict(row))
            if len(results) >= limit:
                break
    return results


def _fts_hits(conn: sqlite3.Connection, tenant_id: int, match: str) -> Iterator[Hit]:
    # Newest first by rowid (2 x id), read lazily: FTS5 walks the match list backwards and stops once the
    # page is full, so a word found in most conversations costs no more than a rare one (no ranking of
    # every match, snippets only for rows returned).
    hits = conn.execute(
        "SELECT s.kind, s.ref_id, snippet(search_index, 0, '', '', '…', 16) AS snippet FROM search_index s"
        " WHERE search_index MATCH ? AND s.tenant_id = ? ORDER BY s.rowid DESC",
        (match, tenant_id),
    )
    for hit in hits:
        yield hit["kind"], hit["ref_id"], "?", (hit["snippet"],)


def ts_query(text: str) -> str | None:
    """User words to a to_tsquery() text: every word must match, the last one as a prefix; the words are
    letters and digits only, so no operator can be injected."""
    words = PG_WORD.findall(text)[:12]
    if not words:
        return None
    return " & ".join(f"'{w}'" for w in words) + ":*"


def _tsvector_hits(conn: sqlite3.Connection, tenant_id: int, query: str) -> Iterator[Hit]:
    # Newest first by rowid, a page at a time: the caller stops once its page is full, and a snippet is
    # made (ts_headline) only for the rows it reads.
    before = 2**62
    while True:
        page = conn.execute(
            "SELECT rowid, kind, ref_id FROM search_index WHERE tenant_id = ? AND rowid < ?"
            " AND document @@ to_tsquery('handoff_search', ?) ORDER BY rowid DESC LIMIT ?",
            (tenant_id, before, query, PG_PAGE),
        ).fetchall()
        for hit in page:
            yield hit["kind"], hit["ref_id"], PG_SNIPPET, (query, hit["rowid"])
        if len(page) < PG_PAGE:
            return
        before = page[-1]["rowid"]


def _browse(
    conn: sqlite3.Connection, tenant_id: int, channel: str | None, ended_from: str, ended_before: str, limit: int
) -> list[dict[str, Any]]:
    closed = (
        CLOSED_SELECT
        % "NULL"
        + " WHERE c.tenant_id = ? AND c.status = 'closed' AND (CAST(? AS TEXT) IS NULL OR c.channel = ?)"
        " AND c.closed_at >= ? AND c.closed_at < ?"
    )
    imported = (
        IMPORTED_SELECT % "NULL" + " WHERE h.tenant_id = ? AND (CAST(? AS TEXT) IS NULL OR h.channel = ?)"
        " AND coalesce(h.ended_at, '') >= ? AND coalesce(h.ended_at, '') < ?"
    )
    # CAST: PostgreSQL cannot type a parameter that is only tested for NULL. The alias: it requires one.
    args = (tenant_id, channel, channel, ended_from, ended_before)
    rows = conn.execute(
        f"SELECT * FROM ({closed} UNION ALL {imported}) AS found ORDER BY ended_at DESC LIMIT ?", (*args, *args, limit)
    )
    return [dict(r) for r in rows]


def imported_transcript(conn: sqlite3.Connection, tenant_id: int, history_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM history WHERE id = ? AND tenant_id = ?", (history_id, tenant_id)).fetchone()
    return {k: row[k] for k in IMPORTED_FIELDS} if row else None


def import_transcripts(conn: sqlite3.Connection, tenant_id: int, items: Iterable[dict[str, Any]]) -> list[int]:
    """Store past transcripts (their search index rows are written by a trigger); returns their ids."""
    ids = []
    for item in items:
        row = conn.execute(
            "INSERT INTO history (tenant_id, channel, contact_name, contact_handle, transcript, source, started_at,"
            " ended_at, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
        ids.append(int(one_row(row)[0]))
    return ids


def import_conversation(conn: sqlite3.Connection, tenant_id: int, item: dict[str, Any]) -> bool:
    """Store one transcript from `migrate_schema.py --import-history` unless the tenant has one with the same
    external id already (False then): a re-run, or two runs at once, add nothing."""
    cursor = conn.execute(
        "INSERT INTO history (tenant_id, channel, contact_name, contact_handle, transcript, source, started_at,"
        " ended_at, imported_at, external_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (
            tenant_id,
            item["channel"],
            item["contact_name"],
            item["contact_handle"],
            item["transcript"],
            item["source"],
            item["started_at"],
            item["ended_at"],
            now_iso(),
            item["external_id"],
        ),
    )
    return cursor.rowcount == 1
