"""Given-steps and GraphQL documents shared by the scheduling API tests.

Steps go through the API the way a user would; the one exception writes a past
appointment with the models (the API refuses past times by design), and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar
from starlette.applications import Starlette

from carepath.clock import utcnow
from carepath.models import (
    Appointment,
    OutboxEmail,
    Payout,
    Provider,
    RosterEntry,
    TelehealthLocation,
)
from carepath.models.enums import (
    AppointmentKind,
    AppointmentStatus,
    BookedBy,
    Modality,
    OutboxStatus,
)
from carepath.schema.ids import to_global_id
from tests.practice_steps import (
    ADD_TELEHEALTH_LOCATION,
    COMPLIANT_PLATFORM,
    ERRORS,
    Person,
    a_provider,
    client_row,
    mutate,
    provider_row,
    succeed,
)
from tests.support import Api

NEW_YORK = "America/New_York"
LINK = str(COMPLIANT_PLATFORM["url"])
INSTRUCTIONS = str(COMPLIANT_PLATFORM["instructions"])

APPOINTMENT_FIELDS = """
fragment AppointmentFields on Appointment {
  id kind modality startsAt endsAt status bookedBy telehealthLink telehealthInstructions
  seriesId billingType confirmedAt cancelledAt cancellationReason
  clientLocation { id state } provider { id } client { id }
}
"""
BOOK_FIRST_APPOINTMENT = (
    f"""
mutation Book($input: BookFirstAppointmentInput!) {{
  bookFirstAppointment(input: $input) {{ appointment {{ ...AppointmentFields }} {ERRORS} }}
}}
"""
    + APPOINTMENT_FIELDS
)
SCHEDULE_APPOINTMENT = (
    f"""
mutation Schedule($input: ScheduleAppointmentInput!) {{
  scheduleAppointment(input: $input) {{ appointments {{ ...AppointmentFields }} {ERRORS} }}
}}
"""
    + APPOINTMENT_FIELDS
)
RESCHEDULE_APPOINTMENT = (
    f"""
mutation Reschedule($input: RescheduleAppointmentInput!) {{
  rescheduleAppointment(input: $input) {{ appointment {{ ...AppointmentFields }} {ERRORS} }}
}}
"""
    + APPOINTMENT_FIELDS
)
CANCEL_APPOINTMENT = (
    f"""
mutation Cancel($input: CancelAppointmentInput!) {{
  cancelAppointment(input: $input) {{ appointment {{ ...AppointmentFields }} {ERRORS} }}
}}
"""
    + APPOINTMENT_FIELDS
)
CONFIRM_SESSION = (
    f"""
mutation Confirm($input: ConfirmSessionInput!) {{
  confirmSession(input: $input) {{ appointment {{ ...AppointmentFields }} {ERRORS} }}
}}
"""
    + APPOINTMENT_FIELDS
)
ROTATE_CALENDAR_FEED = f"mutation {{ rotateCalendarFeed {{ calendarFeedUrl {ERRORS} }} }}"
SET_AVAILABILITY = f"""
mutation SetAvailability($input: SetAvailabilityInput!) {{
  setAvailability(input: $input) {{ provider {{ id }} {ERRORS} }}
}}
"""
AVAILABLE_SLOTS = """
query Slots($id: ID!, $from: DateTime!, $to: DateTime!, $kind: AppointmentKind) {
  node(id: $id) { ... on Provider { availableSlots(from: $from, to: $to, kind: $kind) {
    startsAt endsAt
  } } }
}
"""
APPOINTMENT = (
    """
query Appointment($id: ID!) { node(id: $id) { ... on Appointment { ...AppointmentFields } } }
"""
    + APPOINTMENT_FIELDS
)
MY_PROVIDER = "query { me { providerProfile { id bookingSlug } } }"
MY_PLATFORMS = "query { me { providerProfile { telehealthLocations { id url } } } }"
UPDATE_TELEHEALTH_LOCATION = f"""
mutation UpdateTelehealthLocation($input: UpdateTelehealthLocationInput!) {{
  updateTelehealthLocation(input: $input) {{ telehealthLocation {{ id url }} {ERRORS} }}
}}
"""


def week(start: str, end: str, days: range = range(1, 8)) -> list[dict[str, Any]]:
    return [{"weekday": day, "start": start, "end": end} for day in days]


OFFICE_HOURS = week("09:00", "17:00")
ALL_DAY = week("00:00", "24:00")


@dataclass
class Practice:
    """A provider clients can book: availability, a default telehealth link, a slug."""

    provider: Person
    slug: str

    @property
    def token(self) -> str:
        return self.provider.token

    @property
    def id(self) -> str:
        assert self.provider.provider_id is not None
        return self.provider.provider_id


async def make_bookable(
    api: Api,
    person: Person,
    windows: list[dict[str, Any]] = OFFICE_HOURS,
    *,
    telehealth: bool = True,
) -> Practice:
    """Availability windows and (unless told not to) a compliant default platform."""
    request = {"providerId": person.provider_id, "windows": windows}
    await succeed(api, SET_AVAILABILITY, "setAvailability", request, person.token)
    if telehealth:
        await succeed(
            api, ADD_TELEHEALTH_LOCATION, "addTelehealthLocation", COMPLIANT_PLATFORM, person.token
        )
    me = (await api.data(MY_PROVIDER, token=person.token))["me"]["providerProfile"]
    return Practice(person, me["bookingSlug"])


async def a_practice(
    api: Api,
    email: str = "ann@example.com",
    name: str = "Ann Provider",
    *,
    windows: list[dict[str, Any]] = OFFICE_HOURS,
    telehealth: bool = True,
    **overrides: Any,
) -> Practice:
    person = await a_provider(api, email, name, **overrides)
    return await make_bookable(api, person, windows, telehealth=telehealth)


def local(days: int, clock: str, tz: str = NEW_YORK) -> datetime:
    """`clock` (HH:MM[:SS]) in `tz`, `days` after today's local date there."""
    zone = ZoneInfo(tz)
    day = utcnow().astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=zone)


def iso(value: datetime) -> str:
    return value.isoformat()


def at(value: str) -> datetime:
    """A DateTime from the API, as an aware datetime (the contract requires an offset)."""
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None, value
    return parsed


def next_quarter(value: datetime) -> datetime:
    """The first :00/:15/:30/:45 at or after `value` (UTC and New York agree on the grid)."""
    base = value.astimezone(UTC).replace(second=0, microsecond=0)
    if base < value:
        base += timedelta(minutes=1)
    return base + timedelta(minutes=-base.minute % 15)


def next_spring_forward() -> date:
    """The next second Sunday of March (New York's change) at least three weeks away."""
    year = utcnow().year
    while True:
        march = date(year, 3, 1)
        change = march + timedelta(days=(6 - march.weekday()) % 7 + 7)
        if change - timedelta(days=14) > utcnow().date() + timedelta(days=2):
            return change
        year += 1


async def book(
    api: Api, client: Person, slug: str, starts_at: datetime, modality: str = "PHONE"
) -> dict[str, Any]:
    request = {"bookingSlug": slug, "startsAt": iso(starts_at), "modality": modality}
    return await mutate(api, BOOK_FIRST_APPOINTMENT, "bookFirstAppointment", request, client.token)


def follow_up(
    practice: Practice, client_id: str, starts_at: datetime, **overrides: Any
) -> dict[str, Any]:
    """A scheduleAppointment input: a 50-minute telehealth session unless overridden."""
    values: dict[str, Any] = {
        "providerId": practice.id,
        "clientId": client_id,
        "startsAt": iso(starts_at),
        "modality": "TELEHEALTH",
    }
    return values | overrides


async def schedule(
    api: Api, practice: Practice, client_id: str, starts_at: datetime, **overrides: Any
) -> dict[str, Any]:
    request = follow_up(practice, client_id, starts_at, **overrides)
    return await mutate(api, SCHEDULE_APPOINTMENT, "scheduleAppointment", request, practice.token)


async def scheduled(
    api: Api, practice: Practice, client_id: str, starts_at: datetime, **overrides: Any
) -> dict[str, Any]:
    """The one appointment of a follow-up that must succeed."""
    payload = await schedule(api, practice, client_id, starts_at, **overrides)
    assert payload["errors"] == [], payload["errors"]
    appointment: dict[str, Any] = payload["appointments"][0]
    return appointment


async def written() -> dict[str, int]:
    """Row counts a refused scheduling mutation must leave as they were."""
    return {
        "appointments": await Appointment.all().count(),
        "emails": await OutboxEmail.all().count(),
        "roster": await RosterEntry.all().count(),
        "payouts": await Payout.all().count(),
    }


async def a_past_appointment(
    provider: Person,
    client: Person,
    *,
    minutes_ago: int = 30,
    kind: AppointmentKind = AppointmentKind.SESSION,
    modality: Modality = Modality.TELEHEALTH,
    status: AppointmentStatus = AppointmentStatus.SCHEDULED,
) -> str:
    """Model given-step: an appointment that has started (the API never books the past)."""
    row: Provider = await provider_row(provider)
    location = await TelehealthLocation.get_or_none(provider_id=row.id, is_default=True)
    starts_at = utcnow().replace(microsecond=0) - timedelta(minutes=minutes_ago)
    minutes = 15 if kind == AppointmentKind.PHONE_CONSULTATION else 50
    appointment = await Appointment.create(
        provider_id=row.id,
        client_id=(await client_row(client)).id,
        group_id=row.group_id,
        kind=kind,
        modality=modality,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        status=status,
        booked_by=BookedBy.PROVIDER,
        telehealth_location_id=location.id
        if location and modality == Modality.TELEHEALTH
        else None,
        cancelled_at=utcnow() if status == AppointmentStatus.CANCELLED else None,
    )
    return to_global_id("Appointment", appointment.id)


async def pending_reminders(address: str) -> list[OutboxEmail]:
    return await OutboxEmail.filter(
        kind="appointment_reminder", to_address=address, status=OutboxStatus.PENDING
    ).order_by("send_after")


async def mail_due_now(app: Starlette, kind: str) -> None:
    """Time passes: the pending mail of `kind` is due, and the worker looks at once."""
    now = utcnow()
    await OutboxEmail.filter(kind=kind, status=OutboxStatus.PENDING).update(
        send_after=now, next_attempt_at=now
    )
    app.state.runtime.wake_mail()


def calendar_files(message: EmailMessage) -> list[Calendar]:
    """Every text/calendar attachment of the email, parsed."""
    found = []
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            raw = part.get_payload(decode=True)
            assert isinstance(raw, bytes)
            found.append(Calendar.from_ical(raw))
    return found


def events_of(calendar: Calendar) -> list[Any]:
    return list(calendar.walk("VEVENT"))


def start_of(event: Any) -> datetime:
    value = event.decoded("DTSTART")
    assert isinstance(value, datetime) and value.utcoffset() is not None
    return value.astimezone(UTC)


def mentions_day(text: str, when: datetime, tz: str = NEW_YORK) -> bool:
    """Whether an email names the local date of `when`, as "March 8" or "2027-03-08"."""
    day = when.astimezone(ZoneInfo(tz)).date()
    return f"{day:%B} {day.day}" in text or day.isoformat() in text


async def move_platform(api: Api, practice: Practice, url: str) -> None:
    """The provider's default platform gets a new link (say, a new room)."""
    me = (await api.data(MY_PLATFORMS, token=practice.token))["me"]["providerProfile"]
    request = {"telehealthLocationId": me["telehealthLocations"][0]["id"], "url": url}
    await succeed(
        api, UPDATE_TELEHEALTH_LOCATION, "updateTelehealthLocation", request, practice.token
    )
