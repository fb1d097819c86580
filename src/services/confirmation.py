"""Confirming a session that took place (RULES.md "Telehealth"), then its payout."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from carepath.clock import utcnow
from carepath.events.bus import Publish
from carepath.models import (
    Appointment,
    Client,
    ClientLocation,
    GroupMembership,
    Payout,
    Provider,
    User,
)
from carepath.models.enums import (
    AppointmentKind,
    AppointmentStatus,
    BillingType,
    Modality,
    UsState,
)
from carepath.notifications import appointment_emails, outbox
from carepath.services import audit, webhook_events
from carepath.services.actor import Actor
from carepath.services.appointments import facts_of, lock_provider, visible_appointment
from carepath.services.eligibility import decide, standing_of
from carepath.services.errors import ErrorCode, RuleViolation


def _refuse(code: ErrorCode, message: str, field: str | None = None) -> RuleViolation:
    return RuleViolation(code, message, field)


async def _checked_appointment(
    actor: Actor, appointment_id: int | None
) -> tuple[Appointment, Provider]:
    appointment, provider, facts = await visible_appointment(actor, appointment_id)
    if facts.provider_id != provider.id:
        if facts.client_id == appointment.client_id or (
            facts.provider_id is None and not facts.admin_group_ids
        ):
            raise _refuse(ErrorCode.PROVIDER_ONLY, "Only the provider confirms a session.")
        raise _refuse(ErrorCode.FORBIDDEN, "Only the appointment's provider confirms it.")
    return appointment, provider


def _check_status(appointment: Appointment, audio_only: bool) -> None:
    if (
        appointment.status != AppointmentStatus.SCHEDULED
        or appointment.kind != AppointmentKind.SESSION
    ):
        raise _refuse(
            ErrorCode.INVALID_STATUS,
            "Only scheduled sessions are confirmed (not phone consultations, cancelled or "
            "already confirmed appointments).",
        )
    if appointment.starts_at > utcnow():
        raise _refuse(ErrorCode.SESSION_NOT_STARTED, "A session is confirmed once it has started.")
    if audio_only:
        raise _refuse(
            ErrorCode.AUDIO_ONLY_NOT_PERMITTED,
            "Sessions include audio and video: audio-only sessions are not permitted.",
            "audioOnly",
        )


async def _session_state(
    appointment: Appointment, provider: Provider, location_id: int | None
) -> tuple[UsState | None, ClientLocation | None]:
    """Telehealth: the client's location during the session. In person: the office."""
    if appointment.modality != Modality.TELEHEALTH:
        return (UsState(provider.office_state) if provider.office_state else None), None
    location = await ClientLocation.get_or_none(id=location_id) if location_id else None
    if location is None or location.client_id != appointment.client_id:
        raise _refuse(
            ErrorCode.CLIENT_LOCATION_REQUIRED,
            "Give the client's location during the session (one of their session locations).",
            "clientLocationId",
        )
    return UsState(location.state), location


async def _check_billing(
    provider: Provider, client_id: int, state: UsState | None, billing: BillingType
) -> None:
    """The continuity-of-care decision, the same as careEligibility's."""
    if state is None:
        raise _refuse(ErrorCode.NOT_LICENSED_IN_STATE, "The provider has no office state on file.")
    standing = await standing_of(provider, client_id, state)
    eligibility = decide(state, standing)
    if not standing.licensed:
        raise _refuse(ErrorCode.NOT_LICENSED_IN_STATE, eligibility.guidance)
    if billing == BillingType.INSURANCE and not eligibility.can_bill_insurance:
        if not standing.credentialed:
            raise _refuse(ErrorCode.NOT_CREDENTIALED_IN_STATE, eligibility.guidance, "billingType")
        raise _refuse(
            ErrorCode.NO_IN_NETWORK_INSURANCE,
            "The client has no in-network insurance: bill as private pay.",
            "billingType",
        )
    if billing == BillingType.PRIVATE_PAY and not eligibility.can_see_private_pay:
        raise _refuse(
            ErrorCode.PRIVATE_PAY_NOT_ALLOWED,
            "The client is covered by an in-network insurance: bill through insurance.",
            "billingType",
        )


async def confirm_session(
    actor: Actor,
    publish: Publish,
    appointment_id: int | None,
    location_id: int | None,
    billing: BillingType,
    audio_only: bool,
) -> Appointment:
    appointment, provider = await _checked_appointment(actor, appointment_id)
    _check_status(appointment, audio_only)
    state, location = await _session_state(appointment, provider, location_id)
    await _check_billing(provider, appointment.client_id, state, billing)
    client_user = await User.get(id=(await Client.get(id=appointment.client_id)).user_id)
    async with in_transaction():
        await lock_provider(provider.id)  # a removal request checks payouts under it
        updated = await Appointment.filter(  # as checked: still scheduled, not moved
            id=appointment.id,
            status=AppointmentStatus.SCHEDULED,
            starts_at=appointment.starts_at,
        ).update(
            status=AppointmentStatus.CONFIRMED,
            confirmed_at=utcnow(),
            billing_type=billing,
            client_location_id=location.id if location else None,
        )
        if updated != 1:  # confirmed, cancelled or rescheduled meanwhile
            raise _refuse(ErrorCode.INVALID_STATUS, "This appointment changed meanwhile.")
        await appointment.refresh_from_db()
        await Payout.create(
            appointment_id=appointment.id,
            provider_id=provider.id,
            group_id=appointment.group_id,  # the group it was booked in, as its records
        )
        facts = await facts_of(appointment, provider, client_user)
        await outbox.enqueue(
            appointment_emails.session_confirmed(client_user.email, client_user.full_name, facts),
            appointment_id=appointment.id,
        )
        await webhook_events.session_confirmed(appointment)
        await audit.record(actor.user_id, "confirm_session", "Appointment", appointment.id)
    await _announce(publish, appointment, provider, client_user)
    return appointment


async def _announce(
    publish: Publish, appointment: Appointment, provider: Provider, client_user: User
) -> None:
    """After commit: the client, the provider and the group's admins hear of it."""
    audience = {client_user.id, provider.user_id}
    group_id = appointment.group_id
    if group_id is not None:
        admins = await GroupMembership.filter(group_id=group_id).only("user_id")
        audience.update(m.user_id for m in admins)
    event = {"type": "session_confirmed", "appointment_id": appointment.id}
    for user_id in sorted(audience):
        await publish(f"user:{user_id}", event)
