"""Appointments: visible to their client and provider, the group's admins and staff."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from carepath.models import Appointment as AppointmentModel
from carepath.models import Client as ClientModel
from carepath.models.enums import (
    AppointmentKind,
    AppointmentStatus,
    BillingType,
    BookedBy,
    Modality,
)
from carepath.schema.access import can_see_client, deny, facts
from carepath.schema.appointment_rows import AppointmentRow
from carepath.schema.context import Info
from carepath.schema.ids import to_global_id
from carepath.schema.loaders import load_existing
from carepath.schema.node import Node
from carepath.services import visibility
from carepath.services.phi_log import PhiObject

if TYPE_CHECKING:
    from carepath.models import TelehealthLocation as TelehealthLocationModel
    from carepath.schema.types.clients import Client, ClientLocation
    from carepath.schema.types.practice import Provider


@strawberry.type
class TimeSlot:
    starts_at: datetime
    ends_at: datetime


@strawberry.type
class Appointment(Node):
    """Only built for viewers who may see it (services.visibility.can_see_appointment);
    over a model, or over a list page's lighter row (schema.appointment_lists)."""

    model: strawberry.Private[AppointmentModel | AppointmentRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("Appointment", self.model.id)

    @property
    def _phi(self) -> PhiObject:
        return PhiObject("Appointment", self.model.id, self.model.client_id)

    def _read(self, info: Info) -> None:
        """Every field but `id` and `provider` tells of the client's care: a PHI read."""
        info.context.phi.read(self._phi)

    @strawberry.field
    async def provider(
        self, info: Info
    ) -> Annotated[Provider, strawberry.lazy("carepath.schema.types.practice")]:
        from carepath.schema.types.practice import Provider

        provider = await load_existing(info.context.loaders.provider_by_id, self.model.provider_id)
        return Provider(model=provider)

    @strawberry.field
    async def client(
        self, info: Info
    ) -> Annotated[Client, strawberry.lazy("carepath.schema.types.clients")]:
        from carepath.schema.types.clients import Client

        self._read(info)
        return Client(model=await self._visible_client(info))

    @strawberry.field
    def kind(self, info: Info) -> AppointmentKind:
        self._read(info)
        return AppointmentKind(self.model.kind)

    @strawberry.field
    def modality(self, info: Info) -> Modality:
        self._read(info)
        return Modality(self.model.modality)

    @strawberry.field
    def starts_at(self, info: Info) -> datetime:
        self._read(info)
        return self.model.starts_at

    @strawberry.field
    def ends_at(self, info: Info) -> datetime:
        self._read(info)
        return self.model.ends_at

    @strawberry.field
    def status(self, info: Info) -> AppointmentStatus:
        self._read(info)
        return AppointmentStatus(self.model.status)

    @strawberry.field
    def booked_by(self, info: Info) -> BookedBy:
        self._read(info)
        return BookedBy(self.model.booked_by)

    async def _location(self, info: Info) -> TelehealthLocationModel | None:
        """The appointment's platform: the one it was booked with, else the current default."""
        if self.model.modality != Modality.TELEHEALTH:
            return None
        if not visibility.is_party_to_appointment(await facts(info), self.model):
            deny(info, self._phi)
        self._read(info)
        locations = await info.context.loaders.telehealth_by_provider.load(self.model.provider_id)
        chosen = [loc for loc in locations if loc.id == self.model.telehealth_location_id]
        defaults = [loc for loc in locations if loc.is_default]
        candidates = chosen or defaults
        return candidates[0] if candidates else None

    @strawberry.field(
        description="The telehealth link for this appointment; "
        "seen only by its client and provider."
    )
    async def telehealth_link(self, info: Info) -> str | None:
        location = await self._location(info)
        return location.url if location else None

    @strawberry.field
    async def telehealth_instructions(self, info: Info) -> str | None:
        location = await self._location(info)
        return location.instructions if location else None

    @strawberry.field(
        description="Appointments scheduled together as a recurring series share this id."
    )
    def series_id(self, info: Info) -> strawberry.ID | None:
        self._read(info)
        series_id = self.model.series_id
        return to_global_id("AppointmentSeries", series_id) if series_id else None

    async def _visible_client(self, info: Info) -> ClientModel:
        """The appointment's client, for viewers who may see them (not staff, say)."""
        client = await load_existing(info.context.loaders.client_by_id, self.model.client_id)
        if not await can_see_client(info, client):
            deny(info, PhiObject("Client", client.id, client.id))
        return client

    @strawberry.field(description="Where the client was during the session, given at confirmation.")
    async def client_location(
        self, info: Info
    ) -> Annotated[ClientLocation, strawberry.lazy("carepath.schema.types.clients")] | None:
        from carepath.schema.types.clients import ClientLocation

        await self._visible_client(info)  # the client's whereabouts are the client's PHI
        self._read(info)
        if self.model.client_location_id is None:
            return None
        location = await info.context.loaders.location_by_id.load(self.model.client_location_id)
        return ClientLocation(model=location) if location else None

    @strawberry.field
    def billing_type(self, info: Info) -> BillingType | None:
        self._read(info)
        return BillingType(self.model.billing_type) if self.model.billing_type else None

    @strawberry.field
    def confirmed_at(self, info: Info) -> datetime | None:
        self._read(info)
        return self.model.confirmed_at

    @strawberry.field
    def cancelled_at(self, info: Info) -> datetime | None:
        self._read(info)
        return self.model.cancelled_at

    @strawberry.field
    async def cancellation_reason(self, info: Info) -> str | None:
        """Free text that may hold PHI: the parties and the group's admins, not staff."""
        viewer = await facts(info)
        if not (
            visibility.is_party_to_appointment(viewer, self.model)
            or visibility.administers_group(viewer, self.model.group_id)
        ):
            deny(info, self._phi)
        self._read(info)
        return self.model.cancellation_reason
