"""Scheduling time arithmetic (RULES.md "Booking and scheduling"), free of any database.

Instants are aware datetimes and come back in UTC; availability is weekly wall-clock
windows in the provider's IANA zone. Everything that depends on daylight saving goes
through zoneinfo here, so the services never do wall-clock arithmetic themselves.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

GRID_MINUTES = 15
DAY_MINUTES = 24 * 60
FREQUENCIES = ("WEEKLY", "BIWEEKLY", "MONTHLY")

_TICK = timedelta(microseconds=1)
# Longer than any local day (25 hours at a fall-back change): nothing longer fits a window.
_LONGEST_DAY = timedelta(hours=25)
_STEP_DAYS = {"WEEKLY": 7, "BIWEEKLY": 14}


class WindowLike(Protocol):
    """Anything shaped like a weekly window, e.g. `availability.WeeklyWindow`."""

    @property
    def weekday(self) -> int: ...

    @property
    def start_minute(self) -> int: ...

    @property
    def end_minute(self) -> int: ...


@dataclass(frozen=True)
class Window:
    """A weekly availability window: weekday 1 (Monday) to 7 (Sunday), minutes since
    local midnight, half-open; `end_minute` 1440 is 24:00 (windows never cross midnight)."""

    weekday: int
    start_minute: int
    end_minute: int


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals: back-to-back appointments do not overlap."""
    return a_start < b_end and b_start < a_end


def on_grid(starts_at: datetime, tz: ZoneInfo) -> bool:
    """Bookable starts are on :00, :15, :30 or :45 of the provider's local clock."""
    _require_aware(starts_at)
    local = starts_at.astimezone(tz)
    return local.minute % GRID_MINUTES == 0 and local.second == 0 and local.microsecond == 0


def fits_window(
    starts_at: datetime, ends_at: datetime, windows: Sequence[WindowLike], tz: ZoneInfo
) -> bool:
    """True when every instant of [starts_at, ends_at) reads, on the provider's local clock,
    as a time inside one window on the local date (and weekday) of `starts_at`.

    An appointment ending at local midnight fits a window ending at 24:00. Across a
    fall-back change the clock repeats an hour; the repeated times must be inside too.
    """
    _require_aware(starts_at, ends_at)
    if ends_at <= starts_at or ends_at - starts_at > _LONGEST_DAY:
        return False
    day = starts_at.astimezone(tz).date()
    first, last = _wall_span(starts_at, ends_at, tz)
    return any(
        window.weekday == day.isoweekday()
        and _wall(day, window.start_minute) <= first
        and last <= _wall(day, window.end_minute)
        for window in windows
    )


def open_slots(
    windows: Sequence[WindowLike],
    tz: ZoneInfo,
    busy: Sequence[tuple[datetime, datetime]],
    start: datetime,
    end: datetime,
    length: timedelta,
    not_before: datetime,
) -> list[tuple[datetime, datetime]]:
    """Bookable (start, end) pairs in UTC, ascending: on the local 15-minute grid, wholly
    inside one window, starting in [max(start, not_before), end), clear of `busy`.

    Starts are built as local wall-clock times per local date. A time skipped by a
    spring-forward change is not offered; a time repeated by a fall-back change is
    offered once, at its first occurrence (fold=0), as RFC 5545 reads such a time.
    """
    _require_aware(start, end, not_before)
    if length <= timedelta(0):
        raise ValueError("A slot lasts a positive time.")
    lower = max(start, not_before)
    if lower >= end:
        return []
    first_day = lower.astimezone(tz).date()
    last_day = end.astimezone(tz).date()
    found: set[tuple[datetime, datetime]] = set()
    for slot_start, window in _grid_starts(windows, tz, first_day, last_day):
        slot_end = slot_start + length
        if (
            lower <= slot_start < end
            and fits_window(slot_start, slot_end, [window], tz)
            and not any(overlaps(slot_start, slot_end, b_start, b_end) for b_start, b_end in busy)
        ):
            found.add((slot_start, slot_end))
    return sorted(found)


def occurrences(first: datetime, tz: ZoneInfo, frequency: str, count: int) -> list[datetime]:
    """The starts of a recurring series, in UTC, at the same local wall-clock time as
    `first` across daylight-saving changes.

    MONTHLY keeps the day of the month of `first`, on the month's last day when the month
    is shorter (Jan 31, Feb 28, Mar 31). A local time that a change skips or repeats is
    read as RFC 5545 does (fold=0): 02:30 on a spring-forward day is 03:30, and a
    repeated time is its first occurrence. The first element is `first` itself.
    """
    _require_aware(first)
    if frequency not in FREQUENCIES:
        raise ValueError(f"Frequency is one of {', '.join(FREQUENCIES)}.")
    if count < 0:
        raise ValueError("Count cannot be negative.")
    local = first.astimezone(tz)
    clock = local.time().replace(fold=0)
    starts = [first.astimezone(UTC)] if count else []
    for index in range(1, count):
        day = _nth_date(local.date(), frequency, index)
        starts.append(datetime.combine(day, clock, tzinfo=tz).astimezone(UTC))
    return starts


def _nth_date(first: date, frequency: str, index: int) -> date:
    """The local date of occurrence `index`, always counted from the first date so that
    a clamped month (Feb 28) does not shorten the months after it."""
    if frequency in _STEP_DAYS:
        return first + timedelta(days=_STEP_DAYS[frequency] * index)
    year, month = divmod(first.year * 12 + first.month - 1 + index, 12)
    month += 1
    return date(year, month, min(first.day, monthrange(year, month)[1]))


def _grid_starts(
    windows: Sequence[WindowLike], tz: ZoneInfo, first_day: date, last_day: date
) -> Iterator[tuple[datetime, WindowLike]]:
    """Every existing local grid time inside a window, per local date, as a UTC instant
    (fold=0 for a repeated time), with the window it came from."""
    day = first_day
    while day <= last_day:
        for window in windows:
            if window.weekday != day.isoweekday():
                continue
            minute = -(-window.start_minute // GRID_MINUTES) * GRID_MINUTES
            while minute < window.end_minute:
                wall = _wall(day, minute)
                instant = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
                if instant.astimezone(tz).replace(tzinfo=None) == wall:  # else: in a gap
                    yield instant, window
                minute += GRID_MINUTES
        day += timedelta(days=1)


def _wall(day: date, minute: int) -> datetime:
    """Naive local wall-clock time `minute` minutes after midnight (1440 is 24:00)."""
    return datetime.combine(day, time()) + timedelta(minutes=minute)


def _wall_span(starts_at: datetime, ends_at: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The lowest local wall-clock time read during [starts_at, ends_at) and the bound
    just above the highest, as naive datetimes.

    Wall-clock time runs with real time except at an offset change: there it jumps ahead
    (spring forward: the skipped times are never read) or back (fall back: the times just
    before the change and the repeated ones after it are read). Assumes at most one change
    in the interval, which holds for any span up to 25 hours.
    """
    first = starts_at.astimezone(tz).replace(tzinfo=None)
    last = ends_at.astimezone(tz).replace(tzinfo=None)
    offset_before = _offset(starts_at, tz)
    offset_after = _offset(ends_at, tz)
    if offset_after == offset_before:
        return first, last
    change = _first_change(starts_at, ends_at, tz)
    utc_change = change.astimezone(UTC).replace(tzinfo=None)
    if change == ends_at:  # the clock changes just as the interval ends
        return first, utc_change + offset_before
    return min(first, utc_change + offset_after), max(last, utc_change + offset_before)


def _first_change(starts_at: datetime, ends_at: datetime, tz: ZoneInfo) -> datetime:
    """The first instant in (starts_at, ends_at] whose UTC offset differs from the one at
    `starts_at`, found by bisection to the microsecond (zoneinfo keeps transitions private)."""
    before = _offset(starts_at, tz)
    low, high = starts_at, ends_at
    while high - low > _TICK:
        middle = low + (high - low) // 2
        if _offset(middle, tz) == before:
            low = middle
        else:
            high = middle
    return high


def _offset(instant: datetime, tz: ZoneInfo) -> timedelta:
    offset = instant.astimezone(tz).utcoffset()
    assert offset is not None  # an aware datetime in a ZoneInfo always has one
    return offset


def _require_aware(*values: datetime) -> None:
    """A naive datetime would silently be read in the server's zone; refuse it."""
    for value in values:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("Datetimes must be timezone-aware.")
