"""History: closed conversations and imported past transcripts, with SQLite FTS5 full-text search."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from auth import AdminOnly, CurrentStaff
from handoff.context import Ctx
from handoff.errors import NotFound
from handoff.store.audit import staff_event
from handoff.store.database import now_iso
from handoff.web.params import IdPath

router = APIRouter(prefix="/admin/api/history", tags=["history"])
Channel = Literal["webchat", "sms", "messenger"]
WORD = re.compile(r"\w+", re.UNICODE)

CLOSED_SELECT = """
SELECT 'conversation' AS kind, c.id, c.channel, coalesce(ct.name, ct.email, ct.phone, ct.external_id) AS contact_name,
       c.created_at AS started_at, c.closed_at AS ended_at, %s AS snippet
FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
"""
IMPORTED_SELECT = """
SELECT 'imported' AS kind, h.id, h.channel, h.contact_name, h.started_at, h.ended_at, %s AS snippet FROM history h
"""


def fts_query(text: str) -> str | None:
    """User words to an FTS5 query: every word must match, the last one as a prefix; no operators injected."""
    words = WORD.findall(text)[:12]
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


class ImportItem(BaseModel):
    channel: Channel = "webchat"
    contact_name: str | None = Field(default=None, max_length=200)
    contact_handle: str | None = Field(default=None, max_length=200)
    transcript: str = Field(min_length=1, max_length=1_000_000)
    source: str | None = Field(default=None, max_length=100)
    started_at: str | None = Field(default=None, max_length=40)
    ended_at: str | None = Field(default=None, max_length=40)


class ImportBody(BaseModel):
    items: list[ImportItem] = Field(min_length=1, max_length=1000)


@router.get("")
async def search_history(
    staff: CurrentStaff,
    ctx: Ctx,
    q: Annotated[str | None, Query(max_length=200)] = None,
    channel: Channel | None = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Closed and imported conversations, newest first; `q` searches their full text."""
    lower = from_.isoformat() if from_ else ""
    upper = (to + timedelta(days=1)).isoformat() if to and to < date.max else "9999"  # date.max has no next day
    match = fts_query(q or "")
    if match:
        # Newest first by rowid (2 x id), read lazily: FTS5 walks the match list backwards and stops once
        # the page is full, so a word found in most conversations costs no more than a rare one (no
        # ranking of every match, snippets only for rows returned).
        sql = (
            "SELECT s.kind, s.ref_id, snippet(search_index, 0, '', '', '…', 16) AS snippet FROM search_index s"
            " WHERE search_index MATCH ? AND s.tenant_id = ? ORDER BY s.rowid DESC"
        )

        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            results: list[dict[str, Any]] = []
            for hit in conn.execute(sql, (match, staff.tenant_id)):
                if hit["kind"] == "conversation":
                    row = conn.execute(
                        CLOSED_SELECT % "?" + " WHERE c.id = ? AND c.status = 'closed'", (hit["snippet"], hit["ref_id"])
                    ).fetchone()
                else:
                    row = conn.execute(
                        IMPORTED_SELECT % "?" + " WHERE h.id = ?", (hit["snippet"], hit["ref_id"])
                    ).fetchone()
                if row and (not channel or row["channel"] == channel) and lower <= (row["ended_at"] or "") < upper:
                    results.append(dict(row))
                    if len(results) >= limit:
                        break
            return results
    else:
        closed = (
            CLOSED_SELECT % "NULL"
            + " WHERE c.tenant_id = ? AND c.status = 'closed' AND (? IS NULL OR c.channel = ?) AND c.closed_at >= ? AND c.closed_at < ?"
        )
        imported = (
            IMPORTED_SELECT % "NULL"
            + " WHERE h.tenant_id = ? AND (? IS NULL OR h.channel = ?) AND coalesce(h.ended_at, '') >= ? AND coalesce(h.ended_at, '') < ?"
        )
        args = (staff.tenant_id, channel, channel, lower, upper)

        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = conn.execute(
                f"SELECT * FROM ({closed} UNION ALL {imported}) ORDER BY ended_at DESC LIMIT ?", (*args, *args, limit)
            )
            return [dict(r) for r in rows]

    return {"results": await ctx.db.read(read)}


@router.get("/imported/{history_id}")
async def imported_transcript(history_id: IdPath, staff: CurrentStaff, ctx: Ctx) -> dict[str, Any]:
    """One imported transcript."""
    row = await ctx.db.fetchone("SELECT * FROM history WHERE id = ? AND tenant_id = ?", (history_id, staff.tenant_id))
    if row is None:
        raise NotFound("transcript not found")
    return {
        k: row[k]
        for k in (
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
    }


@router.post("/import", status_code=status.HTTP_201_CREATED)
async def import_history(body: ImportBody, admin: AdminOnly, ctx: Ctx) -> dict[str, Any]:
    """Import past transcripts from an older system (admins); they become searchable at once."""

    def write(conn: sqlite3.Connection) -> list[int]:
        ids = []
        for item in body.items:
            cursor = conn.execute(
                "INSERT INTO history (tenant_id, channel, contact_name, contact_handle, transcript, source, started_at, ended_at, imported_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    admin.tenant_id,
                    item.channel,
                    item.contact_name,
                    item.contact_handle,
                    item.transcript,
                    item.source,
                    item.started_at,
                    item.ended_at,
                    now_iso(),
                ),
            )
            ids.append(int(cursor.lastrowid or 0))
        staff_event(conn, admin, "history.imported", "history", ids[0] if ids else None, {"count": len(ids)})
        return ids

    return {"ids": await ctx.db.write(write)}
