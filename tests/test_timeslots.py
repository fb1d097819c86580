"""Scheduling time arithmetic: the local grid, windows, open slots and recurring series,
including the days on which the clocks change."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from carepath.services.availability import WeeklyWindow
from carepath.services.timeslots import (
    GRID_MINUTES,
    Window,
    fits_window,
    occurrences,
    on_grid,
    open_slots,
    overlaps,
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


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _local(
    tz: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> datetime:
    """A local wall-clock time as a UTC instant, so that adding a timedelta adds real time."""
    return datetime(year, month, day, hour, minute, tzinfo=tz, fold=fold).astimezone(UTC)


# --- overlaps and the grid -------------------------------------------------------------


def test_back_to_back_intervals_do_not_overlap() -> None:
    nine, ten, eleven = _utc(2027, 1, 4, 9), _utc(2027, 1, 4, 10), _utc(2027, 1, 4, 11)
    assert not overlaps(nine, ten, ten, eleven)
    assert not overlaps(ten, eleven, nine, ten)


def test_intervals_sharing_any_time_overlap() -> None:
    nine, ten, eleven = _utc(2027, 1, 4, 9), _utc(2027, 1, 4, 10), _utc(2027, 1, 4, 11)
    assert overlaps(nine, eleven, ten, ten + QUARTER)
    assert overlaps(ten, ten + QUARTER, nine, eleven)
    assert overlaps(nine, ten + QUARTER, ten, eleven)


def test_grid_is_read_on_the_local_clock() -> None:
    kathmandu = ZoneInfo("Asia/Kathmandu")  # UTC+05:45
    assert on_grid(_local(kathmandu, 2027, 1, 4, 9, 45), kathmandu)
    assert on_grid(_utc(2027, 1, 4, 4, 0), kathmandu)  # 09:45 local
    assert not on_grid(_local(kathmandu, 2027, 1, 4, 9, 50), kathmandu)


def test_seconds_or_microseconds_are_off_grid() -> None:
    ten = _local(NEW_YORK, 2027, 1, 4, 10)
    assert on_grid(ten, NEW_YORK)
    assert not on_grid(ten.replace(second=1), NEW_YORK)
    assert not on_grid(ten.replace(microsecond=1), NEW_YORK)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        on_grid(datetime(2027, 1, 4, 10), NEW_YORK)


# --- windows ----------------------------------------------------------------------------

MONDAY_NINE_TO_FIVE = [Window(1, 9 * 60, 17 * 60)]


def test_an_appointment_inside_a_window_fits() -> None:
    start = _local(NEW_YORK, 2027, 1, 4, 9)  # a Monday
    assert fits_window(start, start + timedelta(minutes=50), MONDAY_NINE_TO_FIVE, NEW_YORK)
    last = _local(NEW_YORK, 2027, 1, 4, 16, 10)
    assert fits_window(last, last + timedelta(minutes=50), MONDAY_NINE_TO_FIVE, NEW_YORK)


def test_an_appointment_running_past_the_window_does_not_fit() -> None:
    start = _local(NEW_YORK, 2027, 1, 4, 16, 15)
    assert not fits_window(start, start + timedelta(minutes=50), MONDAY_NINE_TO_FIVE, NEW_YORK)
    early = _local(NEW_YORK, 2027, 1, 4, 8, 45)
    assert not fits_window(early, early + timedelta(minutes=50), MONDAY_NINE_TO_FIVE, NEW_YORK)


def test_a_window_on_another_weekday_does_not_count() -> None:
    tuesday = _local(NEW_YORK, 2027, 1, 5, 10)
    assert not fits_window(tuesday, tuesday + QUARTER, MONDAY_NINE_TO_FIVE, NEW_YORK)


def test_an_appointment_must_fit_a_single_window() -> None:
    split = [Window(1, 9 * 60, 12 * 60), Window(1, 12 * 60, 17 * 60)]
    start = _local(NEW_YORK, 2027, 1, 4, 11, 30)
    assert not fits_window(start, start + timedelta(minutes=50), split, NEW_YORK)


def test_an_appointment_ending_at_midnight_fits_a_window_ending_at_24() -> None:
    late = [Window(1, 22 * 60, 24 * 60)]
    start = _local(NEW_YORK, 2027, 1, 4, 23, 10)
    assert fits_window(start, start + timedelta(minutes=50), late, NEW_YORK)
    assert not fits_window(start, start + timedelta(minutes=51), late, NEW_YORK)


def test_the_weekday_is_the_local_one() -> None:
    # Monday 21:00 in New York is Tuesday 02:00 UTC.
    evening = [Window(1, 20 * 60, 22 * 60)]
    start = _utc(2027, 1, 5, 2)
    assert fits_window(start, start + timedelta(minutes=50), evening, NEW_YORK)


def test_an_empty_or_reversed_interval_does_not_fit() -> None:
    start = _local(NEW_YORK, 2027, 1, 4, 10)
    assert not fits_window(start, start, MONDAY_NINE_TO_FIVE, NEW_YORK)
    assert not fits_window(start, start - QUARTER, MONDAY_NINE_TO_FIVE, NEW_YORK)


def test_the_repeated_hour_of_a_fall_back_must_be_inside_the_window() -> None:
    # 2027-11-07 in New York: 01:30 EDT + 50 minutes reads 01:30..02:00, then 01:00..01:20.
    sunday = 7
    start = _local(NEW_YORK, 2027, 11, 7, 1, 30, fold=0)
    end = start + timedelta(minutes=50)
    assert fits_window(start, end, [Window(sunday, 60, 3 * 60)], NEW_YORK)
    assert not fits_window(start, end, [Window(sunday, 90, 3 * 60)], NEW_YORK)
    assert not fits_window(start, end, [Window(sunday, 60, 105)], NEW_YORK)


def test_a_spring_forward_shortens_the_clock_reading() -> None:
    # 2027-03-14 in New York: 01:45 EST + 15 minutes is 03:00 EDT; nothing read past 02:00.
    start = _local(NEW_YORK, 2027, 3, 14, 1, 45)
    assert fits_window(start, start + QUARTER, [Window(7, 60, 2 * 60)], NEW_YORK)
    assert not fits_window(start, start + 2 * QUARTER, [Window(7, 60, 2 * 60)], NEW_YORK)
    assert fits_window(start, start + 2 * QUARTER, [Window(7, 60, 3 * 60 + 15)], NEW_YORK)


def test_weekly_windows_from_availability_are_accepted() -> None:
    start = _local(NEW_YORK, 2027, 1, 4, 9)
    assert fits_window(start, start + QUARTER, [WeeklyWindow(1, 540, 600)], NEW_YORK)


@PROPERTY_SETTINGS
@given(
    zoned=zoned_instants(hours_around_change=3),
    minutes=st.integers(1, 240),
    other_day=st.one_of(st.none(), st.integers(1, 7)),
    lead=st.integers(0, 180),
    slack=st.integers(-90, 180),
)
def test_fitting_means_every_minute_reads_inside_the_window(
    zoned: tuple[ZoneInfo, datetime], minutes: int, other_day: int | None, lead: int, slack: int
) -> None:
    """Windows drawn around the appointment's own local reading, to probe the edges."""
    tz, start = zoned
    local = start.astimezone(tz)
    local_day, midnight = local.date(), datetime.combine(local.date(), time())
    reading = local.hour * 60 + local.minute
    bounds = max(0, reading - lead), min(1440, reading + minutes + slack)
    assume(bounds[0] < bounds[1])
    window = Window(other_day or local_day.isoweekday(), *bounds)
    low, high = (midnight + timedelta(minutes=bound) for bound in bounds)
    readings = [
        (start + timedelta(minutes=m)).astimezone(tz).replace(tzinfo=None) for m in range(minutes)
    ]
    expected = window.weekday == local_day.isoweekday() and all(low <= r < high for r in readings)
    end = start + timedelta(minutes=minutes)
    assert fits_window(start, end, [window], tz) is expected


# --- open slots -------------------------------------------------------------------------


def _new_york_slots(
    windows: list[Window],
    day: date,
    length: timedelta = QUARTER,
    busy: Sequence[tuple[datetime, datetime]] = (),
    not_before: datetime | None = None,
    end: datetime | None = None,
) -> str:
    """The local readings of the slots on one New York day, as "HH:MM-offset ..."."""
    start = _local(NEW_YORK, day.year, day.month, day.day)
    end = end or start + timedelta(hours=25)
    slots = open_slots(windows, NEW_YORK, busy, start, end, length, not_before or start)
    assert all(s.tzinfo is UTC and e - s == length for s, e in slots)
    return " ".join(s.astimezone(NEW_YORK).strftime("%H:%M%z") for s, _ in slots)


def test_open_slots_list_the_grid_inside_the_windows() -> None:
    windows = [Window(1, 9 * 60, 10 * 60), Window(1, 14 * 60 + 5, 15 * 60)]
    assert _new_york_slots(windows, date(2027, 1, 4)) == (
        "09:00-0500 09:15-0500 09:30-0500 09:45-0500 14:15-0500 14:30-0500 14:45-0500"
    )


def test_a_session_needs_fifty_minutes_left_in_the_window() -> None:
    slots = _new_york_slots([Window(1, 9 * 60, 11 * 60)], date(2027, 1, 4), timedelta(minutes=50))
    assert slots == "09:00-0500 09:15-0500 09:30-0500 09:45-0500 10:00-0500"


def test_busy_time_removes_overlapping_slots_but_not_adjacent_ones() -> None:
    busy = [(_local(NEW_YORK, 2027, 1, 4, 9, 30), _local(NEW_YORK, 2027, 1, 4, 9, 45))]
    slots = _new_york_slots([Window(1, 9 * 60, 10 * 60)], date(2027, 1, 4), busy=busy)
    assert slots == "09:00-0500 09:15-0500 09:45-0500"


def test_slots_start_from_the_notice_and_before_the_end_of_the_range() -> None:
    monday, window, session = date(2027, 1, 4), [Window(1, 9 * 60, 11 * 60)], timedelta(minutes=50)
    notice = _local(NEW_YORK, 2027, 1, 4, 9, 20)
    half_past = _local(NEW_YORK, 2027, 1, 4, 9, 30)
    # 09:30 starts before `end`, so it is listed although it ends after it.
    for end in (half_past + timedelta(microseconds=1), half_past + QUARTER):
        assert _new_york_slots(window, monday, session, not_before=notice, end=end) == "09:30-0500"
    assert _new_york_slots(window, monday, session, not_before=notice, end=half_past) == ""
    on_the_dot = _new_york_slots(
        window, monday, session, not_before=half_past, end=notice + QUARTER
    )
    assert on_the_dot == "09:30-0500"


def test_spring_forward_skips_the_missing_hour() -> None:
    assert _new_york_slots([Window(7, 60, 4 * 60)], date(2027, 3, 14)) == (
        "01:00-0500 01:15-0500 01:30-0500 01:45-0500 03:00-0400 03:15-0400 03:30-0400 03:45-0400"
    )


def test_fall_back_offers_the_repeated_hour_once() -> None:
    assert _new_york_slots([Window(7, 30, 2 * 60 + 30)], date(2027, 11, 7)) == (
        "00:30-0400 00:45-0400 01:00-0400 01:15-0400 01:30-0400 01:45-0400 02:00-0500 02:15-0500"
    )


def test_an_empty_range_has_no_slots() -> None:
    ten = _local(NEW_YORK, 2027, 1, 4, 10)
    window = [Window(1, 0, 1440)]
    assert open_slots(window, NEW_YORK, [], ten, ten, QUARTER, ten) == []
    assert open_slots(window, NEW_YORK, [], ten, ten + QUARTER, QUARTER, ten + QUARTER) == []


def test_a_slot_must_have_a_length() -> None:
    ten = _local(NEW_YORK, 2027, 1, 4, 10)
    with pytest.raises(ValueError, match="positive"):
        open_slots([Window(1, 0, 1440)], NEW_YORK, [], ten, ten + QUARTER, timedelta(0), ten)


def _brute_force_slots(
    windows: list[Window],
    tz: ZoneInfo,
    busy: list[tuple[datetime, datetime]],
    lower: datetime,
    end: datetime,
    length: timedelta,
) -> list[tuple[datetime, datetime]]:
    """Every UTC quarter hour in range, kept when fits_window and the busy list allow it
    and it is not the second reading of a repeated local time."""
    found = []
    candidate = EPOCH + -((EPOCH - lower) // QUARTER) * QUARTER  # first quarter >= lower
    while candidate < end:
        stop = candidate + length
        if (
            candidate.astimezone(tz).fold == 0
            and fits_window(candidate, stop, windows, tz)
            and not any(overlaps(candidate, stop, *interval) for interval in busy)
        ):
            found.append((candidate, stop))
        candidate += QUARTER
    return found


@PROPERTY_SETTINGS
@given(
    zoned=zoned_instants(hours_around_change=48),
    windows=windows_st,
    span_minutes=st.integers(0, 3 * 24 * 60),
    notice_seconds=st.integers(-2 * 86400, 2 * 86400),
    length_minutes=st.integers(1, 240),
    busy_parts=st.lists(st.tuples(st.integers(-1440, 5 * 1440), st.integers(1, 300)), max_size=5),
)
def test_open_slots_are_exactly_the_free_fitting_grid_times(
    zoned: tuple[ZoneInfo, datetime],
    windows: list[Window],
    span_minutes: int,
    notice_seconds: int,
    length_minutes: int,
    busy_parts: list[tuple[int, int]],
) -> None:
    tz, start = zoned
    end = start + timedelta(minutes=span_minutes)
    not_before = start + timedelta(seconds=notice_seconds)
    length = timedelta(minutes=length_minutes)
    busy = [
        (start + timedelta(minutes=at), start + timedelta(minutes=at + duration))
        for at, duration in busy_parts
    ]
    slots = open_slots(windows, tz, busy, start, end, length, not_before)

    lower = max(start, not_before)
    for slot_start, slot_end in slots:
        assert slot_start.tzinfo is UTC
        assert slot_end - slot_start == length
        assert lower <= slot_start < end
        assert on_grid(slot_start, tz)
        assert fits_window(slot_start, slot_end, windows, tz)
        assert not any(overlaps(slot_start, slot_end, *interval) for interval in busy)
    assert slots == sorted(set(slots))
    assert slots == _brute_force_slots(windows, tz, busy, lower, end, length)


# --- recurring series -------------------------------------------------------------------


def _new_york_series(first: datetime, frequency: str, count: int) -> str:
    """The local readings of a New York series, as "YYYY-MM-DDTHH:MM:SS-offset ..."."""
    series = occurrences(first, NEW_YORK, frequency, count)
    assert series[0] == first and all(start.tzinfo is UTC for start in series)
    return " ".join(start.astimezone(NEW_YORK).isoformat() for start in series)


def test_weekly_series_keeps_local_time_across_spring_forward() -> None:
    first = _local(NEW_YORK, 2027, 3, 1, 10)
    assert occurrences(first, NEW_YORK, "WEEKLY", 4) == [
        _utc(2027, 3, 1, 15),
        _utc(2027, 3, 8, 15),
        _utc(2027, 3, 15, 14),
        _utc(2027, 3, 22, 14),
    ]
    assert _new_york_series(first, "WEEKLY", 4) == (
        "2027-03-01T10:00:00-05:00 2027-03-08T10:00:00-05:00 "
        "2027-03-15T10:00:00-04:00 2027-03-22T10:00:00-04:00"
    )


def test_biweekly_series_keeps_local_time_across_fall_back() -> None:
    assert _new_york_series(_local(NEW_YORK, 2027, 10, 25, 18, 30), "BIWEEKLY", 3) == (
        "2027-10-25T18:30:00-04:00 2027-11-08T18:30:00-05:00 2027-11-22T18:30:00-05:00"
    )


def test_monthly_series_from_the_31st_clamps_to_short_months_only() -> None:
    assert _new_york_series(_local(NEW_YORK, 2027, 1, 31, 9), "MONTHLY", 5) == (
        "2027-01-31T09:00:00-05:00 2027-02-28T09:00:00-05:00 2027-03-31T09:00:00-04:00 "
        "2027-04-30T09:00:00-04:00 2027-05-31T09:00:00-04:00"
    )


def test_monthly_series_uses_february_29_in_a_leap_year_and_crosses_the_year() -> None:
    assert _new_york_series(_local(NEW_YORK, 2027, 12, 31, 9), "MONTHLY", 3) == (
        "2027-12-31T09:00:00-05:00 2028-01-31T09:00:00-05:00 2028-02-29T09:00:00-05:00"
    )


def test_a_local_time_skipped_by_spring_forward_moves_an_hour_later() -> None:
    assert _new_york_series(_local(NEW_YORK, 2027, 3, 7, 2, 30), "WEEKLY", 3) == (
        "2027-03-07T02:30:00-05:00 2027-03-14T03:30:00-04:00 2027-03-21T02:30:00-04:00"
    )


def test_a_repeated_local_time_is_its_first_occurrence() -> None:
    assert _new_york_series(_local(NEW_YORK, 2027, 10, 31, 1, 30), "WEEKLY", 2) == (
        "2027-10-31T01:30:00-04:00 2027-11-07T01:30:00-04:00"
    )


def test_a_series_from_the_second_reading_of_a_time_keeps_that_first_start() -> None:
    first = _local(NEW_YORK, 2027, 11, 7, 1, 30, fold=1)  # 01:30 EST, after the fall back
    readings = _new_york_series(first, "WEEKLY", 53).split()
    # 52 weeks later is the next fall-back day: the time is read as its first occurrence.
    assert (readings[0], readings[52]) == ("2027-11-07T01:30:00-05:00", "2028-11-05T01:30:00-04:00")


def test_series_refuse_an_unknown_frequency_or_negative_count() -> None:
    first = _local(NEW_YORK, 2027, 1, 4, 10)
    with pytest.raises(ValueError, match="Frequency"):
        occurrences(first, NEW_YORK, "DAILY", 2)
    with pytest.raises(ValueError, match="negative"):
        occurrences(first, NEW_YORK, "WEEKLY", -1)
    assert occurrences(first, NEW_YORK, "WEEKLY", 0) == []


def _expected_date(first: date, frequency: str, index: int) -> date:
    if frequency == "WEEKLY":
        return first + timedelta(weeks=index)
    if frequency == "BIWEEKLY":
        return first + timedelta(weeks=2 * index)
    year, month = divmod(first.month - 1 + index, 12)
    year += first.year
    return date(year, month + 1, min(first.day, monthrange(year, month + 1)[1]))


@PROPERTY_SETTINGS
@given(
    zoned=zoned_instants(hours_around_change=2),
    seconds=st.integers(0, 59),
    frequency=st.sampled_from(["WEEKLY", "BIWEEKLY", "MONTHLY"]),
    count=st.integers(1, 52),
)
def test_series_keep_the_local_wall_clock_time(
    zoned: tuple[ZoneInfo, datetime], seconds: int, frequency: str, count: int
) -> None:
    tz, first = zoned[0], zoned[1] + timedelta(seconds=seconds)
    series = occurrences(first, tz, frequency, count)
    assert len(series) == count
    assert series[0] == first
    assert all(start.tzinfo is UTC for start in series)
    assert series == sorted(set(series))
    local_first = first.astimezone(tz)
    for index, start in enumerate(series[1:], start=1):
        day = _expected_date(local_first.date(), frequency, index)
        wall = datetime.combine(day, local_first.time().replace(fold=0))
        reading = start.astimezone(tz)
        exists = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if exists == wall:
            assert reading.replace(tzinfo=None) == wall
            assert reading.fold == 0
        else:  # skipped by a spring forward: read later on the same day
            assert wall < reading.replace(tzinfo=None) < wall + timedelta(hours=2)
