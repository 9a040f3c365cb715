"""History: closed conversations and imported past transcripts, full-text searchable."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from handoff.context import Ctx
from handoff.errors import NotFound
from handoff.store import history as store
from handoff.store.audit import staff_event
from handoff.web.deps import AdminOnly, CurrentStaff
from handoff.web.params import IdPath

router = APIRouter(prefix="/admin/api/history", tags=["history"])
Channel = Literal["webchat", "sms", "messenger"]


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


class HistoryResult(BaseModel):
    kind: Literal["conversation", "imported"]
    id: int
    channel: str
    contact_name: str | None
    started_at: str | None
    ended_at: str | None
    snippet: str | None = Field(description="the matching words in context, when searching")


class HistoryPage(BaseModel):
    results: list[HistoryResult]


class ImportedTranscript(BaseModel):
    id: int
    channel: str
    contact_name: str | None
    contact_handle: str | None
    transcript: str
    source: str | None
    started_at: str | None
    ended_at: str | None
    imported_at: str


class ImportedIds(BaseModel):
    ids: list[int]


@router.get("", response_model=HistoryPage)
async def search_history(
    staff: CurrentStaff,
    ctx: Ctx,
    q: Annotated[str | None, Query(max_length=200)] = None,
    channel: Channel | None = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, object]:
    """Closed and imported conversations, newest first; `q` searches their full text."""
    search = partial(
        store.search,
        tenant_id=staff.tenant_id,
        text=q or "",
        channel=channel,
        ended_from=from_.isoformat() if from_ else "",
        # date.max has no next day
        ended_before=(to + timedelta(days=1)).isoformat() if to and to < date.max else "9999",
        limit=limit,
    )
    return {"results": await ctx.db.read(search)}


@router.get("/imported/{history_id}", response_model=ImportedTranscript)
async def imported_transcript(history_id: IdPath, staff: CurrentStaff, ctx: Ctx) -> dict[str, object]:
    """One imported transcript."""
    found = await ctx.db.read(partial(store.imported_transcript, tenant_id=staff.tenant_id, history_id=history_id))
    if found is None:
        raise NotFound("transcript not found")
    return found


@router.post("/import", status_code=status.HTTP_201_CREATED, response_model=ImportedIds)
async def import_history(body: ImportBody, admin: AdminOnly, ctx: Ctx) -> dict[str, object]:
    """Import past transcripts from an older system (admins); they become searchable at once."""

    def write(conn: sqlite3.Connection) -> list[int]:
        ids = store.import_transcripts(conn, admin.tenant_id, (item.model_dump() for item in body.items))
        staff_event(conn, admin, "history.imported", "history", ids[0] if ids else None, {"count": len(ids)})
        return ids

    return {"ids": await ctx.db.write(write)}
