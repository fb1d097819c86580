"""A new client's first appointment through a booking link, and the open slots it offers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from carepath.clock import utcnow
from carepath.models import Appointment, AvailabilityWindow, Client, Provider, RosterEntry, User
from carepath.models.enums import (
    AppointmentKind,
    AppointmentStatus,
    BookedBy,
    IntakeMode,
    Modality,
    ProviderStatus,
)
from carepath.notifications import appointment_emails, outbox
from carepath.services import audit, timeslots, webhook_events
from carepath.services.actor import Actor
from carepath.services.appointments import (
    default_location,
    facts_of,
    in_the_past,
    lock_provider,
    queue_reminder,
    require_free,
    require_telehealth,
    slot_unavailable,
)
from carepath.services.errors import ErrorCode, RuleViolation, not_found, validation
from carepath.services.guards import require_verified
from carepath.services.providers import with_booking_slug
from carepath.services.rosters import activate_on_roster
from carepath.settings import Settings

LENGTHS = {
    AppointmentKind.PHONE_CONSULTATION: timedelta(minutes=15),
    AppointmentKind.SESSION: timedelta(minutes=50),
}
MAX_SLOT_RANGE = timedelta(days=62)
MAX_APPOINTMENT_MINUTES = 240  # the longest follow-up a provider can schedule


def intake_kind(provider: Provider) -> AppointmentKind:
    if provider.intake_mode == IntakeMode.PHONE_CONSULTATION:
        return AppointmentKind.PHONE_CONSULTATION
    return AppointmentKind.SESSION


# Every time a client gives passes through as_utc. Outside these years the arithmetic
# done with it (a day's grid, a series of 52 months, a reminder a day ahead) would leave
# the range datetime can hold, which was an internal error.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2999


def as_utc(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise validation(field, "Give the time with its UTC offset, e.g. 2027-03-01T15:00:00Z.")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise validation(field, f"Give a time between the years {EARLIEST_YEAR} and {LATEST_YEAR}.")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class SlotRange:
    """A validated availableSlots request: a UTC range of at most 62 days."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, start: datetime, end: datetime) -> SlotRange:
        start, end = as_utc(start, "from"), as_utc(end, "to")
        if end <= start or end - start > MAX_SLOT_RANGE:
            raise validation("to", "`to` must be after `from`, at most 62 days later.")
        return cls(start, end)


async def busy_times(
    provider_ids: Sequence[int], slots: SlotRange
) -> dict[int, list[tuple[datetime, datetime]]]:
    """Non-cancelled appointments near the range, per provider, in one query."""
    margin = timedelta(minutes=MAX_APPOINTMENT_MINUTES)
    rows = (
        await Appointment.filter(
            provider_id__in=list(provider_ids),
            starts_at__lt=slots.end + margin,
            ends_at__gt=slots.start - margin,
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .values_list("provider_id", "starts_at", "ends_at")
    )
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for provider_id, starts_at, ends_at in rows:
        busy[provider_id].append((starts_at, ends_at))
    return busy


def open_slots(
    provider: Provider,
    windows: Sequence[timeslots.WindowLike],
    busy: Sequence[tuple[datetime, datetime]],
    slots: SlotRange,
    kind: AppointmentKind | None,
    settings: Settings,
) -> list[tuple[datetime, datetime]]:
    """Open grid slots of the kind's length inside the windows, minus booked time."""
    length = LENGTHS[kind or intake_kind(provider)]
    not_before = utcnow() + timedelta(minutes=settings.booking_min_notice_minutes)
    return timeslots.open_slots(
        windows, ZoneInfo(provider.time_zone), busy, slots.start, slots.end, length, not_before
    )


def check_modality(provider: Provider, kind: AppointmentKind, modality: Modality) -> None:
    if kind == AppointmentKind.PHONE_CONSULTATION:
        if modality != Modality.PHONE:
            raise RuleViolation(
                ErrorCode.MODALITY_NOT_OFFERED,
                "This provider starts with a phone consultation: choose PHONE.",
                "modality",
            )
        return
    if modality == Modality.PHONE:
        raise RuleViolation(
            ErrorCode.AUDIO_ONLY_NOT_PERMITTED,
            "Sessions include audio and video: phone-only sessions are not permitted.",
            "modality",
        )
    offered = (
        provider.offers_telehealth if modality == Modality.TELEHEALTH else provider.offers_in_person
    )
    if not offered:
        raise RuleViolation(
            ErrorCode.MODALITY_NOT_OFFERED, "The provider does not offer that modality.", "modality"
        )


async def _check_time(
    provider: Provider, starts_at: datetime, ends_at: datetime, settings: Settings
) -> None:
    tz = ZoneInfo(provider.time_zone)
    windows = await AvailabilityWindow.filter(provider_id=provider.id)
    if not timeslots.on_grid(starts_at, tz) or not timeslots.fits_window(
        starts_at, ends_at, windows, tz
    ):
        raise RuleViolation(
            ErrorCode.OUTSIDE_AVAILABILITY,
            "Pick a start time from the provider's available slots.",
            "startsAt",
        )
    now = utcnow()
    if starts_at <= now:
        raise in_the_past()
    if starts_at < now + timedelta(minutes=settings.booking_min_notice_minutes):
        raise RuleViolation(
            ErrorCode.TOO_SOON,
            f"Book at least {settings.booking_min_notice_minutes} minutes ahead.",
            "startsAt",
        )


async def _require_new_client(provider: Provider, client: Client) -> None:
    known = await RosterEntry.filter(provider_id=provider.id, client_id=client.id).exists() or (
        await Appointment.filter(provider_id=provider.id, client_id=client.id).exists()
    )
    if known:
        raise RuleViolation(
            ErrorCode.NEW_CLIENTS_ONLY,
            "The booking link is for new clients: message your provider for a follow-up.",
            "bookingSlug",
        )


async def book_first_appointment(
    actor: Actor, settings: Settings, slug: str, starts_at: datetime, modality: Modality
) -> Appointment:
    user = actor.require_user()
    provider = await with_booking_slug(slug)
    if provider is None:
        raise not_found("provider", "bookingSlug")
    require_verified(user)
    client = await Client.get_or_none(user_id=user.id)
    if client is None:
        raise RuleViolation(
            ErrorCode.FORBIDDEN, "Only client accounts book through a booking link."
        )
    if provider.user_id == user.id:
        raise RuleViolation(ErrorCode.FORBIDDEN, "You cannot book an appointment with yourself.")
    starts_at = as_utc(starts_at, "startsAt")
    kind = intake_kind(provider)
    ends_at = starts_at + LENGTHS[kind]
    check_modality(provider, kind, modality)
    await _check_time(provider, starts_at, ends_at, settings)
    await _require_new_client(provider, client)
    try:
        appointment = await _write_booking(
            settings, provider, client, user, kind, modality, starts_at, ends_at
        )
    except IntegrityError as exc:  # the database's overlap guard caught a race
        raise slot_unavailable() from exc
    return appointment


async def _write_booking(
    settings: Settings,
    provider: Provider,
    client: Client,
    client_user: User,
    kind: AppointmentKind,
    modality: Modality,
    starts_at: datetime,
    ends_at: datetime,
) -> Appointment:
    """Inside one transaction: status and slot checks under the provider lock (an archive
    or removal waits for it, or it for them), the appointment, the roster entry, and the
    confirmation and reminder emails."""
    async with in_transaction():
        await lock_provider(provider.id)
        if not await Provider.exists(id=provider.id, status=ProviderStatus.ACTIVE):
            raise RuleViolation(
                ErrorCode.PROVIDER_ARCHIVED, "This provider takes no new clients.", "bookingSlug"
            )
        await require_free(provider.id, [(starts_at, ends_at)])
        location = await default_location(provider.id)
        require_telehealth(modality, location)
        appointment = await Appointment.create(
            provider_id=provider.id,
            client_id=client.id,
            group_id=provider.group_id,
            kind=kind,
            modality=modality,
            starts_at=starts_at,
            ends_at=ends_at,
            status=AppointmentStatus.SCHEDULED,
            booked_by=BookedBy.CLIENT,
            telehealth_location_id=location.id
            if location and modality == Modality.TELEHEALTH
            else None,
        )
        await activate_on_roster(provider.id, client.id)
        facts = await facts_of(appointment, provider, client_user)
        await outbox.enqueue(
            appointment_emails.confirmation(client_user.email, client_user.full_name, [facts]),
            appointment_id=appointment.id,
        )
        provider_user = await User.get(id=provider.user_id)
        await outbox.enqueue(
            appointment_emails.confirmation(
                provider_user.email, provider.display_name, [facts], for_provider=True
            ),
            appointment_id=appointment.id,
        )
        await queue_reminder(settings, facts, client_user)
        await audit.record(client_user.id, "book_first_appointment", "Appointment", appointment.id)
        await webhook_events.appointments_booked([appointment])
    return appointment
