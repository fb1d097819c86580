"""Scheduling mutations: first bookings, follow-ups, changes, confirmation, calendar feed."""

from __future__ import annotations

from datetime import datetime

import strawberry

from carepath.models import Appointment as AppointmentModel
from carepath.models.enums import AppointmentKind, BillingType, Frequency, Modality
from carepath.resolvers.common import attempt, phi_named
from carepath.schema.context import Info
from carepath.schema.errors import UserError
from carepath.schema.ids import pk_of
from carepath.schema.payloads import AppointmentPayload, AppointmentsPayload, CalendarFeedPayload
from carepath.schema.types.scheduling import Appointment
from carepath.services import booking, calendar_feed, confirmation, followups
from carepath.services.followups import FollowUp


@strawberry.input
class BookFirstAppointmentInput:
    booking_slug: str = strawberry.field(description="The provider's booking link slug.")
    starts_at: datetime
    modality: Modality


@strawberry.input
class RecurrenceInput:
    frequency: Frequency
    count: int = strawberry.field(
        description="Number of appointments in the series, the first included (2..52)."
    )


@strawberry.input
class ScheduleAppointmentInput:
    provider_id: strawberry.ID
    client_id: strawberry.ID
    starts_at: datetime
    duration_minutes: int = 50
    modality: Modality
    kind: AppointmentKind = AppointmentKind.SESSION
    recurrence: RecurrenceInput | None = None


@strawberry.input
class RescheduleAppointmentInput:
    appointment_id: strawberry.ID
    starts_at: datetime
    duration_minutes: int | None = None


@strawberry.input
class CancelAppointmentInput:
    appointment_id: strawberry.ID
    reason: str | None = None


@strawberry.input
class ConfirmSessionInput:
    appointment_id: strawberry.ID
    client_location_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for telehealth sessions: where the client joined from."
    )
    billing_type: BillingType
    audio_only: bool = strawberry.field(
        default=False, description="Audio-only sessions are not permitted: true is refused."
    )


def _payload(appointment: AppointmentModel | None, errors: list[UserError]) -> AppointmentPayload:
    return AppointmentPayload(
        appointment=Appointment(model=appointment) if appointment else None, errors=errors
    )


@strawberry.type
class SchedulingMutations:
    @strawberry.mutation(
        description="A new client books a first appointment through a provider's booking link; "
        "its kind follows the provider's intake mode."
    )
    async def book_first_appointment(
        self, info: Info, input: BookFirstAppointmentInput
    ) -> AppointmentPayload:
        call = booking.book_first_appointment(
            info.context.actor,
            info.context.settings,
            input.booking_slug,
            input.starts_at,
            input.modality,
        )
        return _payload(*await attempt(info, call))

    @strawberry.mutation(
        description="Providers schedule follow-ups, once or as a recurring series."
    )
    async def schedule_appointment(
        self, info: Info, input: ScheduleAppointmentInput
    ) -> AppointmentsPayload:
        recurrence = input.recurrence
        plan = FollowUp(
            starts_at=input.starts_at,
            duration_minutes=input.duration_minutes,
            modality=input.modality,
            kind=input.kind,
            frequency=recurrence.frequency if recurrence else None,
            count=recurrence.count if recurrence else None,
        )
        call = followups.schedule(
            info.context.actor,
            info.context.settings,
            pk_of(input.provider_id, "Provider"),
            pk_of(input.client_id, "Client"),
            plan,
        )
        appointments, errors = await attempt(info, call, phi_named(input.client_id, "Client"))
        return AppointmentsPayload(
            appointments=[Appointment(model=a) for a in appointments or []], errors=errors
        )

    @strawberry.mutation
    async def reschedule_appointment(
        self, info: Info, input: RescheduleAppointmentInput
    ) -> AppointmentPayload:
        call = followups.reschedule(
            info.context.actor,
            info.context.settings,
            pk_of(input.appointment_id, "Appointment"),
            input.starts_at,
            input.duration_minutes,
        )
        return _payload(*await attempt(info, call, phi_named(input.appointment_id, "Appointment")))

    @strawberry.mutation
    async def cancel_appointment(
        self, info: Info, input: CancelAppointmentInput
    ) -> AppointmentPayload:
        call = followups.cancel(
            info.context.actor, pk_of(input.appointment_id, "Appointment"), input.reason
        )
        return _payload(*await attempt(info, call, phi_named(input.appointment_id, "Appointment")))

    @strawberry.mutation(
        description="The provider confirms a session that took place: client location for "
        "telehealth, billing, audio and video."
    )
    async def confirm_session(self, info: Info, input: ConfirmSessionInput) -> AppointmentPayload:
        call = confirmation.confirm_session(
            info.context.actor,
            info.context.bus.publish,
            pk_of(input.appointment_id, "Appointment"),
            pk_of(input.client_location_id, "ClientLocation"),
            input.billing_type,
            input.audio_only,
        )
        return _payload(*await attempt(info, call, phi_named(input.appointment_id, "Appointment")))

    @strawberry.mutation(
        description="Issues a new secret calendar feed URL; the old one stops working."
    )
    async def rotate_calendar_feed(self, info: Info) -> CalendarFeedPayload:
        provider, errors = await attempt(info, calendar_feed.rotate(info.context.actor))
        if provider is None:
            return CalendarFeedPayload(errors=errors)
        url = f"{info.context.settings.public_api_url}/calendar/{provider.calendar_secret}.ics"
        return CalendarFeedPayload(calendar_feed_url=url)
