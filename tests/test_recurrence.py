"""Recurring series keep their local wall-clock time across clock changes."""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carepath.services.timeslots import (
    occurrences,
)
from tests.timeslot_cases import (
    NEW_YORK,
    PROPERTY_SETTINGS,
    local_at,
    utc_at,
    zoned_instants,
)

# --- recurring series -------------------------------------------------------------------


def _new_york_series(first: datetime, frequency: str, count: int) -> str:
    """The local readings of a New York series, as "YYYY-MM-DDTHH:MM:SS-offset ..."."""
    series = occurrences(first, NEW_YORK, frequency, count)
    assert series[0] == first and all(start.tzinfo is UTC for start in series)
    return " ".join(start.astimezone(NEW_YORK).isoformat() for start in series)


def test_weekly_series_keeps_local_time_across_spring_forward() -> None:
    first = local_at(NEW_YORK, 2027, 3, 1, 10)
    assert occurrences(first, NEW_YORK, "WEEKLY", 4) == [
        utc_at(2027, 3, 1, 15),
        utc_at(2027, 3, 8, 15),
        utc_at(2027, 3, 15, 14),
        utc_at(2027, 3, 22, 14),
    ]
    assert _new_york_series(first, "WEEKLY", 4) == (
        "2027-03-01T10:00:00-05:00 2027-03-08T10:00:00-05:00 "
        "2027-03-15T10:00:00-04:00 2027-03-22T10:00:00-04:00"
    )


def test_biweekly_series_keeps_local_time_across_fall_back() -> None:
    assert _new_york_series(local_at(NEW_YORK, 2027, 10, 25, 18, 30), "BIWEEKLY", 3) == (
        "2027-10-25T18:30:00-04:00 2027-11-08T18:30:00-05:00 2027-11-22T18:30:00-05:00"
    )


def test_monthly_series_from_the_31st_clamps_to_short_months_only() -> None:
    assert _new_york_series(local_at(NEW_YORK, 2027, 1, 31, 9), "MONTHLY", 5) == (
        "2027-01-31T09:00:00-05:00 2027-02-28T09:00:00-05:00 2027-03-31T09:00:00-04:00 "
        "2027-04-30T09:00:00-04:00 2027-05-31T09:00:00-04:00"
    )


def test_monthly_series_uses_february_29_in_a_leap_year_and_crosses_the_year() -> None:
    assert _new_york_series(local_at(NEW_YORK, 2027, 12, 31, 9), "MONTHLY", 3) == (
        "2027-12-31T09:00:00-05:00 2028-01-31T09:00:00-05:00 2028-02-29T09:00:00-05:00"
    )


def test_a_local_time_skipped_by_spring_forward_moves_an_hour_later() -> None:
    assert _new_york_series(local_at(NEW_YORK, 2027, 3, 7, 2, 30), "WEEKLY", 3) == (
        "2027-03-07T02:30:00-05:00 2027-03-14T03:30:00-04:00 2027-03-21T02:30:00-04:00"
    )


def test_a_repeated_local_time_is_its_first_occurrence() -> None:
    assert _new_york_series(local_at(NEW_YORK, 2027, 10, 31, 1, 30), "WEEKLY", 2) == (
        "2027-10-31T01:30:00-04:00 2027-11-07T01:30:00-04:00"
    )


def test_a_series_from_the_second_reading_of_a_time_keeps_that_first_start() -> None:
    first = local_at(NEW_YORK, 2027, 11, 7, 1, 30, fold=1)  # 01:30 EST, after the fall back
    readings = _new_york_series(first, "WEEKLY", 53).split()
    # 52 weeks later is the next fall-back day: the time is read as its first occurrence.
    assert (readings[0], readings[52]) == ("2027-11-07T01:30:00-05:00", "2028-11-05T01:30:00-04:00")


def test_series_refuse_an_unknown_frequency_or_negative_count() -> None:
    first = local_at(NEW_YORK, 2027, 1, 4, 10)
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
