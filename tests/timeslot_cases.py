"""Shared cases for the scheduling time-arithmetic tests: zones, strategies, helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from carepath.services.timeslots import (
    GRID_MINUTES,
    Window,
)

NEW_YORK = ZoneInfo("America/New_York")
# Zones with half-hour and 45-minute offsets, a half-hour DST shift (Lord Howe), changes at
# midnight (Havana) and a fall-back across midnight (Santiago). Every offset is a whole
# number of quarter hours, so the local grid is also the UTC quarter-hour grid.
ZONE_KEYS = (
    "UTC America/New_York Europe/London Australia/Lord_Howe Asia/Kathmandu Pacific/Chatham"
    " America/Havana America/Santiago"
)
ZONES = [ZoneInfo(key) for key in ZONE_KEYS.split()]
EPOCH = datetime(2027, 1, 1, tzinfo=UTC)
QUARTER = timedelta(minutes=GRID_MINUTES)
PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # autouse db cleaner
)


def _changes(tz: ZoneInfo, year: int) -> list[datetime]:
    """Every instant of `year` (to the minute) at which `tz` changes its UTC offset."""
    found: list[datetime] = []
    hour = datetime(year, 1, 1, tzinfo=UTC)
    previous = hour.astimezone(tz).utcoffset()
    while hour.year == year:
        minutes = (hour + timedelta(minutes=m) for m in range(1, 61))
        changed = next((m for m in minutes if m.astimezone(tz).utcoffset() != previous), None)
        if changed is not None:
            found.append(changed)
            previous = changed.astimezone(tz).utcoffset()
        hour += timedelta(hours=1)
    return found


CHANGES = {tz: _changes(tz, 2027) for tz in ZONES}
minutes_2027 = st.integers(0, 365 * 24 * 60).map(lambda m: EPOCH + timedelta(minutes=m))


def zoned_instants(hours_around_change: int) -> st.SearchStrategy[tuple[ZoneInfo, datetime]]:
    """A zone and an instant on a whole minute, half the time near one of its clock changes."""

    def instants(tz: ZoneInfo) -> st.SearchStrategy[datetime]:
        if not CHANGES[tz]:
            return minutes_2027
        minutes = st.integers(-60 * hours_around_change, 60 * hours_around_change)
        near = st.builds(
            lambda c, m: c + timedelta(minutes=m), st.sampled_from(CHANGES[tz]), minutes
        )
        return st.one_of(minutes_2027, near)

    return st.sampled_from(ZONES).flatmap(lambda tz: st.tuples(st.just(tz), instants(tz)))


windows_st = st.lists(
    st.integers(1, 7).flatmap(
        lambda day: st.integers(0, 1439).flatmap(
            lambda start: st.integers(start + 1, 1440).map(lambda end: Window(day, start, end))
        )
    ),
    max_size=4,
)


def utc_at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local_at(
    tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> datetime:
    """A local wall-clock time as a UTC instant, so that adding a timedelta adds real time."""
    return datetime(year, month, day, hour, minute, tzinfo=tz, fold=fold).astimezone(UTC)
