"""Business hours: is the tenant open at a moment, and when does it next open. Pure functions over the
tenant's `settings.business_hours` `{timezone, week: {mon: [["09:00", "17:30"], ...], ...}}`.

Ranges are wall-clock times in the tenant's zone (zoneinfo), so "09:00" stays 09:00 across a DST change. A
range may end at "24:00" (midnight). No hours set means always open."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Range = tuple[time, time | None]  # end None: midnight at the end of the day


def _clock(text: str) -> time | None:
    return None if text == "24:00" else time.fromisoformat(text)


def zone(name: str) -> ZoneInfo | None:
    """The IANA zone of that name; None for anything else (a directory such as "Europe" raises an OSError)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def zone_of(settings: dict[str, Any]) -> ZoneInfo:
    """The zone the hours are in: the hours' own, else the tenant's `timezone` setting, else UTC."""
    hours = settings.get("business_hours") or {}
    for name in (hours.get("timezone"), settings.get("timezone")):
        if isinstance(name, str) and name and (found := zone(name)) is not None:
            return found
    return ZoneInfo("UTC")


def week_of(settings: dict[str, Any]) -> dict[str, list[Range]] | None:
    """Each weekday's ranges, or None when no hours are set (always open). `days` is the older spelling."""
    hours = settings.get("business_hours")
    if not isinstance(hours, dict):
        return None
    raw = hours.get("week", hours.get("days"))
    if not isinstance(raw, dict):
        return None
    week: dict[str, list[Range]] = {}
    for day in WEEKDAYS:
        ranges = []
        for start, end in raw.get(day) or []:
            opens = _clock(start)
            if opens is not None:
                ranges.append((opens, _clock(end)))
        week[day] = ranges
    return week


def _open_on(week: dict[str, list[Range]], local: datetime) -> bool:
    now = local.time().replace(tzinfo=None)
    return any(start <= now and (end is None or now < end) for start, end in week[WEEKDAYS[local.weekday()]])


def is_open(settings: dict[str, Any], when: datetime | None = None) -> bool:
    """Whether `when` (default now, an aware datetime) falls in one of today's ranges, in the tenant's zone."""
    week = week_of(settings)
    if week is None:
        return True
    moment = when or datetime.now(UTC)
    return _open_on(week, moment.astimezone(zone_of(settings)))


def _local_start(day: date, start: time, zone: ZoneInfo) -> datetime:
    """The instant a range starts. A start inside a spring-forward gap (02:30 that never happens) is the first
    instant after the gap: a wall time past the gap's end, normalised through UTC."""
    local = datetime.combine(day, start, tzinfo=zone)
    return local.astimezone(UTC).astimezone(zone)


def next_open(settings: dict[str, Any], when: datetime | None = None) -> datetime | None:
    """The next instant (UTC) the business opens after `when`; `when` itself when open now; None when no
    day has any hours (closed for good) or no hours are set (always open: `when`)."""
    week = week_of(settings)
    moment = when or datetime.now(UTC)
    if week is None or is_open(settings, moment):
        return moment.astimezone(UTC)
    zone = zone_of(settings)
    today = moment.astimezone(zone).date()
    for offset in range(8):
        day = today + timedelta(days=offset)
        for start, _end in sorted(week[WEEKDAYS[day.weekday()]]):
            begins = _local_start(day, start, zone)
            if begins > moment:
                return begins.astimezone(UTC)
    return None
