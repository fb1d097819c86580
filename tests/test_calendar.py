"""The .ics text for confirmations and the provider's feed: read back with icalendar."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from carepath.notifications.calendar import PRODID, CalendarEvent, build_calendar

NEW_YORK = ZoneInfo("America/New_York")
STAMP = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
LINK = "https://video.example.com/room/abc?pwd=x1,y2;z3"


SESSION = CalendarEvent(
    uid="appointment-1@carepath",
    starts_at=datetime(2027, 3, 15, 10, 0, tzinfo=NEW_YORK),
    ends_at=datetime(2027, 3, 15, 10, 50, tzinfo=NEW_YORK),
    summary="Session with Dr. Ann Lee",
    location=LINK,
    description="Join with the link.\nInstructions: use headphones, please.",
)


def _session(**changes: Any) -> CalendarEvent:
    return replace(SESSION, **changes)


def _parse(text: str) -> Calendar:
    return Calendar.from_ical(text)


def test_the_calendar_is_published_by_carepath() -> None:
    calendar = _parse(build_calendar([_session()], "Ann Lee", stamp=STAMP))
    assert str(calendar["PRODID"]) == PRODID == "-//Carepath//Carepath//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Ann Lee"


def test_an_event_carries_its_fields_with_times_in_utc() -> None:
    text = build_calendar([_session()], "Ann Lee", stamp=STAMP)
    [event] = _parse(text).walk("VEVENT")
    assert str(event["UID"]) == "appointment-1@carepath"
    assert event.decoded("DTSTAMP") == STAMP
    assert event.decoded("DTSTART") == datetime(2027, 3, 15, 14, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 3, 15, 14, 50, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Session with Dr. Ann Lee"
    assert str(event["LOCATION"]) == LINK
    assert str(event["DESCRIPTION"]) == "Join with the link.\nInstructions: use headphones, please."
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "DTSTART:20270315T140000Z\r\n" in text
    assert "VTIMEZONE" not in text


def test_a_cancelled_appointment_is_a_cancelled_event() -> None:
    [event] = _parse(build_calendar([_session(cancelled=True)], "Ann Lee")).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"


def test_location_and_description_are_left_out_when_not_given() -> None:
    text = build_calendar([_session(location=None, description=None)], "Ann Lee")
    [event] = _parse(text).walk("VEVENT")
    assert "LOCATION" not in event
    assert "DESCRIPTION" not in event


def test_a_series_is_one_calendar_with_an_event_per_occurrence() -> None:
    start = datetime(2027, 3, 1, 10, tzinfo=NEW_YORK)
    series = [
        _session(
            uid=f"appointment-{week}@carepath",
            starts_at=(start + timedelta(weeks=week)).astimezone(UTC),
            ends_at=(start + timedelta(weeks=week, minutes=50)).astimezone(UTC),
        )
        for week in range(3)
    ]
    events = _parse(build_calendar(series, "Ann Lee")).walk("VEVENT")
    assert [str(event["UID"]) for event in events] == [e.uid for e in series]
    assert [event.decoded("DTSTART") for event in events] == [e.starts_at for e in series]


def test_an_empty_feed_is_still_a_calendar() -> None:
    calendar = _parse(build_calendar([], "Ann Lee"))
    assert calendar.walk("VEVENT") == []
    assert str(calendar["METHOD"]) == "PUBLISH"


def test_the_stamp_defaults_to_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    [event] = _parse(build_calendar([_session()], "Ann Lee")).walk("VEVENT")
    assert before <= event.decoded("DTSTAMP") <= datetime.now(UTC)


def test_the_same_input_gives_the_same_text() -> None:
    assert build_calendar([_session()], "Ann Lee", stamp=STAMP) == build_calendar(
        [_session()], "Ann Lee", stamp=STAMP
    )


def test_special_characters_in_the_name_are_escaped() -> None:
    text = build_calendar([], "Lee, Ann; PhD\nNew York", stamp=STAMP)
    assert "X-WR-CALNAME:Lee\\, Ann\\; PhD\\nNew York\r\n" in text


def test_naive_or_reversed_times_are_refused() -> None:
    naive = datetime(2027, 3, 15, 10)
    with pytest.raises(ValueError, match="aware"):
        build_calendar([_session(starts_at=naive)], "Ann Lee")
    with pytest.raises(ValueError, match="ends after"):
        build_calendar([_session(ends_at=_session().starts_at)], "Ann Lee")


def test_building_a_calendar_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        build_calendar([_session(), _session(cancelled=True)], "Ann Lee")
    assert caplog.records == []


printable = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"), max_size=80
)


@settings(
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # autouse db cleaner
)
@given(
    summary=printable,
    location=st.one_of(st.none(), printable),
    description=st.one_of(st.none(), st.lists(printable, max_size=3).map("\n".join)),
    minutes=st.integers(1, 240),
    start_minute=st.integers(0, 2 * 365 * 24 * 60),
    cancelled=st.booleans(),
)
def test_any_text_and_time_round_trip(
    summary: str,
    location: str | None,
    description: str | None,
    minutes: int,
    start_minute: int,
    cancelled: bool,
) -> None:
    starts_at = datetime(2027, 1, 1, tzinfo=UTC) + timedelta(minutes=start_minute)
    event = CalendarEvent(
        uid="appointment-42@carepath",
        starts_at=starts_at.astimezone(NEW_YORK),
        ends_at=starts_at + timedelta(minutes=minutes),
        summary=summary,
        location=location,
        description=description,
        cancelled=cancelled,
    )
    text = build_calendar([event], "Ann Lee", stamp=STAMP)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    [parsed] = _parse(text).walk("VEVENT")
    assert parsed.decoded("DTSTART") == starts_at
    assert parsed.decoded("DTEND") == starts_at + timedelta(minutes=minutes)
    assert str(parsed["SUMMARY"]) == summary
    assert (str(parsed["LOCATION"]) if "LOCATION" in parsed else None) == location
    assert (str(parsed["DESCRIPTION"]) if "DESCRIPTION" in parsed else None) == description
    assert str(parsed["STATUS"]) == ("CANCELLED" if cancelled else "CONFIRMED")
