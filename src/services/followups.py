"""Follow-ups by the provider: schedule (once or recurring), reschedule, cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from carepath.clock import utcnow
from carepath.models import Appointment, AppointmentSeries, Client, Provider, RosterEntry, User
from carepath.models.enums import (
    AppointmentKind,
    AppointmentStatus,
    BookedBy,
    Frequency,
    Modality,
    RosterStatus,
)
from carepath.notifications import appointment_emails, outbox
from carepath.services import audit, timeslots, visibility, webhook_events
from carepath.services.actor import Actor, ActorFacts
from carepath.services.appointments import (
    default_location,
    drop_reminders,
    facts_of,
    in_the_past,
    lock_provider,
    queue_reminder,
    require_free,
    require_telehealth,
    slot_unavailable,
    visible_appointment,
)
from carepath.services.booking import as_utc, check_modality
from carepath.services.errors import ErrorCode, RuleViolation, validation
from carepath.services.guards import require_manager, visible_client, visible_provider
from carepath.services.validation import clean_optional_text
from carepath.settings import Settings

MIN_MINUTES, MAX_MINUTES = 15, 240
MIN_COUNT, MAX_COUNT = 2, 52


@dataclass(frozen=True)
class FollowUp:
    starts_at: datetime
    duration_minutes: int
    modality: Modality
    kind: AppointmentKind
    frequency: Frequency | None = None
    count: int | None = None


def provider_only(facts: ActorFacts, provider: Provider, client_id: int) -> None:
    """The client of the appointment gets PROVIDER_ONLY (they message their provider
    instead), whatever roles they hold elsewhere; anyone else the managers' ladder."""
    if not visibility.manages_provider(facts, provider) and facts.client_id == client_id:
        raise RuleViolation(
            ErrorCode.PROVIDER_ONLY,
            "Only your provider schedules, reschedules and cancels: send them a message.",
        )
    require_manager(facts, provider)


def _check_duration(minutes: int, field: str = "durationMinutes") -> timedelta:
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise validation(field, f"An appointment lasts {MIN_MINUTES} to {MAX_MINUTES} minutes.")
    return timedelta(minutes=minutes)


def _starts(plan: FollowUp, tz: ZoneInfo) -> list[datetime]:
    first = as_utc(plan.starts_at, "startsAt").replace(microsecond=0)
    if plan.frequency is None:
        return [first]
    if plan.count is None or not MIN_COUNT <= plan.count <= MAX_COUNT:
        raise validation(
            "recurrence.count", f"A series has {MIN_COUNT} to {MAX_COUNT} appointments."
        )
    return timeslots.occurrences(first, tz, str(plan.frequency), plan.count)


async def schedule(
    actor: Actor, settings: Settings, provider_id: int | None, client_id: int | None, plan: FollowUp
) -> list[Appointment]:
    """All occurrences are checked and written together, or none is."""
    actor.require_user()
    provider = await visible_provider(actor, provider_id, "providerId")
    client = await visible_client(actor, client_id, "clientId")
    provider_only(await actor.facts(), provider, client.id)
    length = _check_duration(plan.duration_minutes)
    starts = _starts(plan, ZoneInfo(provider.time_zone))
    on_roster = await RosterEntry.filter(
        provider_id=provider.id, client_id=client.id, status=RosterStatus.ACTIVE
    ).exists()
    if not on_roster:
        raise RuleViolation(
            ErrorCode.NOT_ON_ROSTER,
            "The client is not on this provider's active roster.",
            "clientId",
        )
    check_modality(provider, plan.kind, plan.modality)
    if starts[0] <= utcnow():
        raise in_the_past()
    try:
        appointments = await _write_series(
            actor, settings, provider, client, plan, [(s, s + length) for s in starts]
        )
    except IntegrityError as exc:
        raise slot_unavailable() from exc
    return appointments


async def _write_series(
    actor: Actor,
    settings: Settings,
    provider: Provider,
    client: Client,
    plan: FollowUp,
    intervals: list[tuple[datetime, datetime]],
) -> list[Appointment]:
    client_user = await User.get(id=client.user_id)
    async with in_transaction():
        await lock_provider(provider.id)
        await require_free(provider.id, intervals)
        location = await default_location(provider.id)
        require_telehealth(plan.modality, location)
        series = None
        if len(intervals) > 1 and plan.frequency is not None:
            series = await AppointmentSeries.create(
                provider_id=provider.id, frequency=plan.frequency, count=len(intervals)
            )
        appointments = []
        for starts_at, ends_at in intervals:
            appointments.append(
                await Appointment.create(
                    provider_id=provider.id,
                    client_id=client.id,
                    group_id=provider.group_id,
                    series_id=series.id if series else None,
                    kind=plan.kind,
                    modality=plan.modality,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    status=AppointmentStatus.SCHEDULED,
                    booked_by=BookedBy.PROVIDER,
                    telehealth_location_id=location.id
                    if location and plan.modality == Modality.TELEHEALTH
                    else None,
                )
            )
        all_facts = [await facts_of(a, provider, client_user) for a in appointments]
        await outbox.enqueue(
            appointment_emails.confirmation(client_user.email, client_user.full_name, all_facts),
            appointment_id=appointments[0].id,
        )
        for facts in all_facts:
            await queue_reminder(settings, facts, client_user)
        await audit.record(actor.user_id, "schedule_appointment", "Appointment", appointments[0].id)
        await webhook_events.appointments_booked(appointments)
    return appointments


async def _changeable(actor: Actor, appointment_id: int | None) -> tuple[Appointment, Provider]:
    appointment, provider, facts = await visible_appointment(actor, appointment_id)
    provider_only(facts, provider, appointment.client_id)
    return appointment, provider


def _require_scheduled(appointment: Appointment) -> None:
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise RuleViolation(
            ErrorCode.INVALID_STATUS, f"This appointment is {str(appointment.status).lower()}."
        )


def _changed_meanwhile() -> RuleViolation:
    return RuleViolation(ErrorCode.INVALID_STATUS, "This appointment changed meanwhile.")


async def reschedule(
    actor: Actor,
    settings: Settings,
    appointment_id: int | None,
    starts_at: datetime,
    duration_minutes: int | None,
) -> Appointment:
    """Moves the appointment (keeping its length unless given); the reminder moves too."""
    appointment, provider = await _changeable(actor, appointment_id)
    new_start = as_utc(starts_at, "startsAt").replace(microsecond=0)
    length = (
        _check_duration(duration_minutes)
        if duration_minutes is not None
        else appointment.ends_at - appointment.starts_at
    )
    _require_scheduled(appointment)
    if new_start <= utcnow():
        raise in_the_past()
    client_user = await User.get(id=(await Client.get(id=appointment.client_id)).user_id)
    try:
        async with in_transaction():
            await lock_provider(provider.id)
            await require_free(
                provider.id, [(new_start, new_start + length)], exclude_id=appointment.id
            )
            moved = await Appointment.filter(
                id=appointment.id, status=AppointmentStatus.SCHEDULED
            ).update(starts_at=new_start, ends_at=new_start + length)
            if moved != 1:  # confirmed or cancelled since it was read
                raise _changed_meanwhile()
            await webhook_events.appointment_rescheduled(appointment, new_start, new_start + length)
            appointment.starts_at, appointment.ends_at = new_start, new_start + length
            await drop_reminders(appointment.id)
            facts = await facts_of(appointment, provider, client_user)
            await outbox.enqueue(
                appointment_emails.rescheduled(client_user.email, client_user.full_name, facts),
                appointment_id=appointment.id,
            )
            await queue_reminder(settings, facts, client_user)
            await audit.record(
                actor.user_id, "reschedule_appointment", "Appointment", appointment.id
            )
    except IntegrityError as exc:
        raise slot_unavailable() from exc
    return appointment


async def cancel(actor: Actor, appointment_id: int | None, reason: str | None) -> Appointment:
    appointment, provider = await _changeable(actor, appointment_id)
    why = clean_optional_text(reason, "reason", max_length=500, multiline=True)
    _require_scheduled(appointment)
    client_user = await User.get(id=(await Client.get(id=appointment.client_id)).user_id)
    async with in_transaction():
        now = utcnow()
        cancelled = await Appointment.filter(
            id=appointment.id, status=AppointmentStatus.SCHEDULED
        ).update(status=AppointmentStatus.CANCELLED, cancelled_at=now, cancellation_reason=why)
        if cancelled != 1:  # confirmed (with its payout) or cancelled since it was read
            raise _changed_meanwhile()
        appointment.status, appointment.cancelled_at = AppointmentStatus.CANCELLED, now
        appointment.cancellation_reason = why  # type: ignore[assignment]
        await drop_reminders(appointment.id)
        facts = await facts_of(appointment, provider, client_user)
        await outbox.enqueue(
            appointment_emails.cancelled(
                client_user.email, client_user.full_name, facts, has_reason=bool(why)
            ),
            appointment_id=appointment.id,
        )
        await webhook_events.appointment_cancelled(appointment)
        await audit.record(actor.user_id, "cancel_appointment", "Appointment", appointment.id)
    return appointment
