"""Business hours (handoff/routing/hours.py): wall-clock ranges in the tenant's zone, several a day, correct
on both sides of a DST change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handoff.routing import hours
from handoff.routing.texts import say

NY = "America/New_York"
PARIS = "Europe/Paris"


def shop(zone: str, **week: list[list[str]]) -> dict[str, Any]:
    return {"business_hours": {"timezone": zone, "week": week}, "timezone": "UTC"}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_no_hours_is_always_open() -> None:
    assert hours.is_open({"business_hours": None}, utc(2026, 1, 4, 3))
    assert hours.next_open({}, utc(2026, 1, 4, 3)) == utc(2026, 1, 4, 3)


def test_several_ranges_a_day_and_the_end_is_exclusive() -> None:
    # Monday 2 March 2026 in Paris (UTC+1): 09:00-12:00 and 14:00-17:30.
    settings = shop(PARIS, mon=[["09:00", "12:00"], ["14:00", "17:30"]])
    assert hours.is_open(settings, utc(2026, 3, 2, 8, 0))  # 09:00 local
    assert not hours.is_open(settings, utc(2026, 3, 2, 11, 0))  # 12:00 local: lunch
    assert hours.next_open(settings, utc(2026, 3, 2, 11, 0)) == utc(2026, 3, 2, 13, 0)
    assert hours.is_open(settings, utc(2026, 3, 2, 16, 29))
    assert not hours.is_open(settings, utc(2026, 3, 2, 16, 30))
    assert hours.next_open(settings, utc(2026, 3, 2, 16, 30)) == utc(2026, 3, 9, 8, 0)  # next Monday


def test_midnight_end_and_the_older_days_spelling() -> None:
    settings = {"business_hours": {"days": {"sat": [["20:00", "24:00"]]}}, "timezone": NY}
    assert hours.is_open(settings, utc(2026, 1, 4, 4, 59))  # Saturday 23:59 in New York (UTC-5)
    assert not hours.is_open(settings, utc(2026, 1, 4, 5, 0))  # Sunday 00:00


def test_opening_time_follows_the_wall_clock_across_spring_forward() -> None:
    # New York moves from UTC-5 to UTC-4 on Sunday 8 March 2026 at 02:00.
    settings = shop(NY, sat=[["09:00", "17:00"]], sun=[["09:00", "17:00"]], mon=[["09:00", "17:00"]])
    assert hours.is_open(settings, utc(2026, 3, 7, 14, 0))  # Saturday 09:00 EST
    assert not hours.is_open(settings, utc(2026, 3, 8, 12, 59))  # Sunday 08:59 EDT
    assert hours.is_open(settings, utc(2026, 3, 8, 13, 0))  # Sunday 09:00 EDT (08:00 in EST: a naive clock)
    assert hours.next_open(settings, utc(2026, 3, 8, 2, 0)) == utc(2026, 3, 8, 13, 0)


def test_opening_time_follows_the_wall_clock_across_fall_back() -> None:
    # Paris moves from UTC+2 to UTC+1 on Sunday 25 October 2026 at 03:00.
    settings = shop(PARIS, sat=[["09:00", "17:00"]], mon=[["09:00", "17:00"]])
    assert hours.is_open(settings, utc(2026, 10, 24, 7, 0))  # Saturday 09:00 CEST
    assert hours.next_open(settings, utc(2026, 10, 24, 16, 0)) == utc(2026, 10, 26, 8, 0)  # Monday 09:00 CET
    assert not hours.is_open(settings, utc(2026, 10, 26, 7, 30))  # Monday 08:30 CET


def test_a_range_starting_in_the_spring_forward_gap_opens_after_it() -> None:
    settings = shop(NY, sun=[["02:30", "05:00"]])
    opens = hours.next_open(settings, utc(2026, 3, 8, 5, 0))  # Sunday 00:00 EST
    assert opens is not None and opens.astimezone(hours.zone_of(settings)).hour == 3


def test_closed_every_day_never_opens_and_a_bad_zone_falls_back_to_utc() -> None:
    assert hours.next_open(shop(NY), utc(2026, 1, 1)) is None
    assert not hours.is_open(shop(NY), utc(2026, 1, 1))
    settings = {"business_hours": {"timezone": "Mars/Olympus", "week": {"thu": [["10:00", "11:00"]]}}}
    assert hours.is_open(settings, utc(2026, 1, 1, 10, 30))  # a Thursday, read in UTC


def test_server_texts_come_in_the_widget_language() -> None:
    assert say("closed", "fr") == "Cette conversation a été fermée."
    assert say("away", "de").startswith("Wir sind")
    assert say("escalated", "xx") == say("escalated", "en")
