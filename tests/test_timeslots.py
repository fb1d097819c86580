"""Scheduling time arithmetic: the local grid, windows and open slots, including the days
on which the clocks change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from carepath.services.availability import WeeklyWindow
from carepath.services.timeslots import (
    Window,
    fits_window,
    on_grid,
    open_slots,
    overlaps,
)
from tests.timeslot_cases import (
    EPOCH,
    NEW_YORK,
    PROPERTY_SETTINGS,
    QUARTER,
    local_at,
    utc_at,
    windows_st,
    zoned_instants,
)

# --- overlaps and the grid -------------------------------------------------------------


def test_back_to_back_intervals_do_not_overlap() -> None:
    nine, ten, eleven = utc_at(2027, 1, 4, 9), utc_at(2027, 1, 4, 10), utc_at(2027, 1, 4, 11)
    assert not overlaps(nine, ten, ten, eleven)
    assert not overlaps(ten, eleven, nine, ten)


def test_intervals_sharing_any_time_overlap() -> None:
    nine, ten, eleven = utc_at(2027, 1, 4, 9), utc_at(2027, 1, 4, 10), utc_at(2027, 1, 4, 11)
    assert overlaps(nine, eleven, ten, ten + QUARTER)
    assert overlaps(ten, ten + QUARTER, nine, eleven)
    assert overlaps(nine, ten + QUARTER, ten, eleven)


def test_grid_is_read_on_the_local_clock() -> None:
    kathmandu = ZoneInfo("Asia/Kathmandu")  # UTC+05:45
    assert on_grid(local_at(kathmandu, 2027, 1, 4, 9, 45), kathmandu)
    assert on_grid(utc_at(2027, 1, 4, 4, 0), kathmandu)  # 09:45 local
    assert not on_grid(local_at(kathmandu, 2027, 1, 4, 9, 50), kathmandu)


def test_seconds_or_microseconds_are_off_grid() -> None:
    ten = local_at(NEW_YORK, 2027, 1, 4, 10)
    assert on_grid(ten, NEW_YORK)
    assert not on_grid(ten.replace(second=1), NEW_YORK)
    assert not on_grid(ten.replace(microsecond=1), NEW_YORK)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        on_grid(datetime(2027, 1, 4, 10), NEW_YORK)


# --- windows ----------------------------------------------------------------------------

MONDAY_NINE_TO_FIVE = [Window(1, 9 * 60, 17 * 60)]


def test_an_appointment_inside_a_window_fits() -> None:
    start = local_at(NEW_YORK, 2027, 1, 4, 9)  # a Monday
    assert fits_window(start, start + timedelta(minutes=50), MONDAY_NINE_TO_FIVE, NEW_YORK)
    last = local_at(NEW_YORK, 2027, 1, 4, 16, 10)
    assert fits_window(last, last + timedelta(minutes=50), MONDAY_NINE_TO_FIVE, NEW_YORK)


def test_an_appointment_running_past_the_window_does_not_fit() -> None:
    start = local_at(NEW_YORK, 2027, 1, 4, 16, 15)
    assert not fits_window(start, start + timedelta(minutes=50), MONDAY_NINE_TO_FIVE, NEW_YORK)
    early = local_at(NEW_YORK, 2027, 1, 4, 8, 45)
    assert not fits_window(early, early + timedelta(minutes=50), MONDAY_NINE_TO_FIVE, NEW_YORK)


def test_a_window_on_another_weekday_does_not_count() -> None:
    tuesday = local_at(NEW_YORK, 2027, 1, 5, 10)
    assert not fits_window(tuesday, tuesday + QUARTER, MONDAY_NINE_TO_FIVE, NEW_YORK)


def test_an_appointment_must_fit_a_single_window() -> None:
    split = [Window(1, 9 * 60, 12 * 60), Window(1, 12 * 60, 17 * 60)]
    start = local_at(NEW_YORK, 2027, 1, 4, 11, 30)
    assert not fits_window(start, start + timedelta(minutes=50), split, NEW_YORK)


def test_an_appointment_ending_at_midnight_fits_a_window_ending_at_24() -> None:
    late = [Window(1, 22 * 60, 24 * 60)]
    start = local_at(NEW_YORK, 2027, 1, 4, 23, 10)
    assert fits_window(start, start + timedelta(minutes=50), late, NEW_YORK)
    assert not fits_window(start, start + timedelta(minutes=51), late, NEW_YORK)


def test_the_weekday_is_the_local_one() -> None:
    # Monday 21:00 in New York is Tuesday 02:00 UTC.
    evening = [Window(1, 20 * 60, 22 * 60)]
    start = utc_at(2027, 1, 5, 2)
    assert fits_window(start, start + timedelta(minutes=50), evening, NEW_YORK)


def test_an_empty_or_reversed_interval_does_not_fit() -> None:
    start = local_at(NEW_YORK, 2027, 1, 4, 10)
    assert not fits_window(start, start, MONDAY_NINE_TO_FIVE, NEW_YORK)
    assert not fits_window(start, start - QUARTER, MONDAY_NINE_TO_FIVE, NEW_YORK)


def test_the_repeated_hour_of_a_fall_back_must_be_inside_the_window() -> None:
    # 2027-11-07 in New York: 01:30 EDT + 50 minutes reads 01:30..02:00, then 01:00..01:20.
    sunday = 7
    start = local_at(NEW_YORK, 2027, 11, 7, 1, 30, fold=0)
    end = start + timedelta(minutes=50)
    assert fits_window(start, end, [Window(sunday, 60, 3 * 60)], NEW_YORK)
    assert not fits_window(start, end, [Window(sunday, 90, 3 * 60)], NEW_YORK)
    assert not fits_window(start, end, [Window(sunday, 60, 105)], NEW_YORK)


def test_a_spring_forward_shortens_the_clock_reading() -> None:
    # 2027-03-14 in New York: 01:45 EST + 15 minutes is 03:00 EDT; nothing read past 02:00.
    start = local_at(NEW_YORK, 2027, 3, 14, 1, 45)
    assert fits_window(start, start + QUARTER, [Window(7, 60, 2 * 60)], NEW_YORK)
    assert not fits_window(start, start + 2 * QUARTER, [Window(7, 60, 2 * 60)], NEW_YORK)
    assert fits_window(start, start + 2 * QUARTER, [Window(7, 60, 3 * 60 + 15)], NEW_YORK)


def test_weekly_windows_from_availability_are_accepted() -> None:
    start = local_at(NEW_YORK, 2027, 1, 4, 9)
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
    start = local_at(NEW_YORK, day.year, day.month, day.day)
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
    busy = [(local_at(NEW_YORK, 2027, 1, 4, 9, 30), local_at(NEW_YORK, 2027, 1, 4, 9, 45))]
    slots = _new_york_slots([Window(1, 9 * 60, 10 * 60)], date(2027, 1, 4), busy=busy)
    assert slots == "09:00-0500 09:15-0500 09:45-0500"


def test_slots_start_from_the_notice_and_before_the_end_of_the_range() -> None:
    monday, window, session = date(2027, 1, 4), [Window(1, 9 * 60, 11 * 60)], timedelta(minutes=50)
    notice = local_at(NEW_YORK, 2027, 1, 4, 9, 20)
    half_past = local_at(NEW_YORK, 2027, 1, 4, 9, 30)
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
    ten = local_at(NEW_YORK, 2027, 1, 4, 10)
    window = [Window(1, 0, 1440)]
    assert open_slots(window, NEW_YORK, [], ten, ten, QUARTER, ten) == []
    assert open_slots(window, NEW_YORK, [], ten, ten + QUARTER, QUARTER, ten + QUARTER) == []


def test_a_slot_must_have_a_length() -> None:
    ten = local_at(NEW_YORK, 2027, 1, 4, 10)
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
