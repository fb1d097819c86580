"""What booking, follow-ups and confirmation share: the overlap guard under a lock,
the facts an email shows, and reminders in the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from carepath.clock import utcnow
from carepath.models import Appointment, OutboxEmail, Provider, TelehealthLocation, User
from carepath.models.enums import AppointmentStatus, Modality, OutboxStatus
from carepath.notifications import appointment_emails, outbox
from carepath.notifications.appointment_emails import AppointmentFacts
from carepath.services import visibility
from carepath.services.actor import Actor, ActorFacts
from carepath.services.errors import ErrorCode, RuleViolation, not_found
from carepath.settings import Settings

REMINDER_KIND = "appointment_reminder"


def slot_unavailable(field: str = "startsAt") -> RuleViolation:
    return RuleViolation(
        ErrorCode.SLOT_UNAVAILABLE, "The provider already has an appointment at that time.", field
    )


def in_the_past(field: str = "startsAt") -> RuleViolation:
    return RuleViolation(ErrorCode.IN_THE_PAST, "That time has already passed.", field)


async def lock_provider(provider_id: int) -> None:
    """Serialises bookings per provider inside the caller's transaction.

    PostgreSQL: a row lock on the provider. SQLite: a no-op here, since the transaction
    itself began with BEGIN IMMEDIATE (carepath.sqlite_backend).
    """
    await Provider.filter(id=provider_id).select_for_update().only("id").first()


async def require_free(
    provider_id: int, intervals: Sequence[tuple[datetime, datetime]], exclude_id: int | None = None
) -> None:
    """No non-cancelled appointment of the provider overlaps any interval (half-open)."""
    for starts_at, ends_at in intervals:
        clash = Appointment.filter(
            provider_id=provider_id, starts_at__lt=ends_at, ends_at__gt=starts_at
        ).exclude(status=AppointmentStatus.CANCELLED)
        if exclude_id is not None:
            clash = clash.exclude(id=exclude_id)
        if await clash.exists():
            raise slot_unavailable()


async def visible_appointment(
    actor: Actor, appointment_id: int | None
) -> tuple[Appointment, Provider, ActorFacts]:
    """The appointment and its provider, or NOT_FOUND when the caller may not see it."""
    actor.require_user()
    appointment = await Appointment.get_or_none(id=appointment_id) if appointment_id else None
    facts = await actor.facts()
    if appointment is None or not visibility.can_see_appointment(facts, appointment):
        raise not_found("appointment", "appointmentId")
    return appointment, await Provider.get(id=appointment.provider_id), facts


async def default_location(provider_id: int) -> TelehealthLocation | None:
    return await TelehealthLocation.get_or_none(provider_id=provider_id, is_default=True)


def require_telehealth(modality: Modality, location: TelehealthLocation | None) -> None:
    if modality == Modality.TELEHEALTH and location is None:
        raise RuleViolation(
            ErrorCode.TELEHEALTH_NOT_CONFIGURED,
            "The provider has no default telehealth location yet.",
            "modality",
        )


async def facts_of(
    appointment: Appointment, provider: Provider, client_user: User
) -> AppointmentFacts:
    """The appointment as emails show it, with its current telehealth link."""
    location = None
    if appointment.modality == Modality.TELEHEALTH:
        if appointment.telehealth_location_id is not None:
            location = await TelehealthLocation.get_or_none(id=appointment.telehealth_location_id)
        location = location or await default_location(provider.id)
    return AppointmentFacts(
        appointment_id=appointment.id,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        kind=str(appointment.kind),
        modality=str(appointment.modality),
        provider_name=provider.display_name,
        client_name=client_user.full_name,
        time_zone=provider.time_zone,
        telehealth_link=location.url if location else None,
        telehealth_instructions=location.instructions if location else None,
    )


async def queue_reminder(settings: Settings, facts: AppointmentFacts, client_user: User) -> None:
    """One reminder REMINDER_LEAD_HOURS ahead; none for an appointment already that close."""
    due = facts.starts_at - timedelta(hours=settings.reminder_lead_hours)
    if due <= utcnow():
        return
    draft = appointment_emails.reminder(client_user.email, client_user.full_name, facts)
    await outbox.enqueue(draft, send_after=due, appointment_id=facts.appointment_id)


async def refresh_reminders(provider_id: int) -> None:
    """Pending reminders of the provider's telehealth appointments get the current link."""
    pending = await OutboxEmail.filter(
        kind=REMINDER_KIND,
        status=OutboxStatus.PENDING,
        appointment__provider_id=provider_id,
        appointment__modality=Modality.TELEHEALTH,
    ).prefetch_related("appointment__client__user")
    if not pending:
        return
    provider = await Provider.get(id=provider_id)
    for row in pending:
        appointment = row.appointment
        assert appointment is not None
        client_user = appointment.client.user
        facts = await facts_of(appointment, provider, client_user)
        draft = appointment_emails.reminder(client_user.email, client_user.full_name, facts)
        await OutboxEmail.filter(id=row.id).update(body_text=draft.body, subject=draft.subject)


async def drop_reminders(appointment_id: int) -> None:
    await OutboxEmail.filter(
        appointment_id=appointment_id, kind=REMINDER_KIND, status=OutboxStatus.PENDING
    ).update(status=OutboxStatus.CANCELLED)
