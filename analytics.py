"""The analytics routes: `GET /api/v1/analytics/summary` and the CSV export, over whole local days.

What each figure means is written down in `handoff.store.analytics`, which computes them.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from handoff.context import Ctx
from handoff.errors import Invalid
from handoff.store.analytics import ReportRange, export_rows, summary, tenant_timezone
from handoff.store.database import iso
from handoff.web.analytics_schemas import AnalyticsSummary
from handoff.web.deps import CurrentStaff

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
DEFAULT_DAYS = 30
MAX_DAYS = 366
# A day's UTC bounds, shifted by a time zone and a day further, must still be a datetime: the calendar's
# first and last years are refused (422) rather than overflowing (500).
EARLIEST_DAY, LATEST_DAY = date(1970, 1, 1), date(9998, 12, 31)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise Invalid(f"unknown time zone: {name!r} (use an IANA name such as Europe/Paris)") from None


def parse_day(value: str, field: str) -> date:
    try:
        if not DATE.match(value):
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{field} must be a date as YYYY-MM-DD") from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise Invalid(f"{field} must be between {EARLIEST_DAY} and {LATEST_DAY}")
    return day


def local_midnight(day: date, tz: ZoneInfo) -> str:
    """The UTC instant a local day starts (a midnight skipped by DST resolves to the first real instant)."""
    return iso(datetime.combine(day, time(0), tzinfo=tz))


async def report_range(
    staff: CurrentStaff,
    ctx: Ctx,
    from_: Annotated[str | None, Query(alias="from", max_length=10, description="first local day, YYYY-MM-DD")] = None,
    to: Annotated[str | None, Query(max_length=10, description="last local day (inclusive), YYYY-MM-DD")] = None,
    tz: Annotated[str | None, Query(max_length=64, description="IANA time zone; default: the tenant's")] = None,
) -> ReportRange:
    """Resolve `from`/`to`/`tz` (defaults: the last 30 days ending today, the tenant's time zone)."""
    zone_name = tz or await ctx.db.read(partial(tenant_timezone, tenant_id=staff.tenant_id)) or "UTC"
    try:
        zone = parse_zone(zone_name)
    except Invalid:
        if tz:
            raise
        zone_name, zone = "UTC", ZoneInfo("UTC")  # a stale tenant setting must not break the page
    last = parse_day(to, "to") if to else datetime.now(zone).date()
    first = parse_day(from_, "from") if from_ else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise Invalid("from must be on or before to")
    if (last - first).days + 1 > MAX_DAYS:
        raise Invalid(f"the range may span at most {MAX_DAYS} days")
    return ReportRange(
        tenant_id=staff.tenant_id,
        first=first,
        last=last,
        tz=zone,
        tz_name=zone_name,
        start=local_midnight(first, zone),
        end=local_midnight(last + timedelta(days=1), zone),
    )


Range = Annotated[ReportRange, Depends(report_range)]


# ---- endpoints --------------------------------------------------------------------------------------


@router.get("/summary", response_model=AnalyticsSummary)
async def get_summary(ctx: Ctx, rng: Range) -> dict[str, Any]:
    """Volumes by channel/day/hour, first-response and resolution times, missed, escalated, per-agent counts."""
    return await ctx.db.read_report(lambda conn: summary(conn, rng))


@router.get(
    "/export.csv", response_class=Response, responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}
)
async def export_csv(ctx: Ctx, rng: Range) -> Response:
    """One CSV row per conversation started in the range (a download)."""
    text = await ctx.db.read_report(lambda conn: export_rows(conn, rng))
    filename = f"handoff-analytics-{rng.first.isoformat()}-{rng.last.isoformat()}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
