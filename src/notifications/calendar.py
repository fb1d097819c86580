"""iCalendar (RFC 5545) text for confirmation attachments and the provider's calendar feed
(RULES.md "Telehealth", "Notifications").

Pure: no database and no logging, since events carry PHI and telehealth links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event, vText

from carepath.clock import utcnow

PRODID = "-//Carepath//Carepath//EN"


@dataclass(frozen=True)
class CalendarEvent:
    """One appointment as a calendar shows it; `uid` stays the same for the life of the
    appointment so that a calendar updates the event instead of adding another."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str | None
    description: str | None
    cancelled: bool = False


def build_calendar(
    events: Sequence[CalendarEvent], name: str, *, stamp: datetime | None = None
) -> str:
    """A published VCALENDAR with one VEVENT per event, times in UTC.

    `stamp` (DTSTAMP, when this text was made) defaults to now; tests pass it to get
    the same text every time.
    """
    made_at = (stamp if stamp is not None else utcnow()).astimezone(UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    # An X- property has no known type, so say it is TEXT to have it escaped.
    calendar.add("x-wr-calname", vText(name))
    for event in events:
        calendar.add_component(_vevent(event, made_at))
    text: bytes = calendar.to_ical()
    return text.decode("utf-8")


def _vevent(event: CalendarEvent, made_at: datetime) -> Event:
    """DTSTART/DTEND in UTC so that no VTIMEZONE is needed; an unset LOCATION or
    DESCRIPTION is left out rather than written empty."""
    for value in (event.starts_at, event.ends_at):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("Event times must be timezone-aware.")
    if event.ends_at <= event.starts_at:
        raise ValueError("An event ends after it starts.")
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", made_at)
    vevent.add("dtstart", event.starts_at.astimezone(UTC))
    vevent.add("dtend", event.ends_at.astimezone(UTC))
    vevent.add("summary", event.summary)
    if event.location is not None:
        vevent.add("location", event.location)
    if event.description is not None:
        vevent.add("description", event.description)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    return vevent
