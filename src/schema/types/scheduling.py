"""Appointments: visible to their client and provider, the group's admins and staff."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

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
from carepath.schema.access import can_see_client, can_see_client_now, deny, facts
from carepath.schema.appointment_rows import AppointmentRow
from carepath.schema.context import Info
from carepath.schema.ids import to_global_id
from carepath.schema.loaders import existing, load_existing
from carepath.schema.node import Node
from carepath.schema.prefetch import later, loaded, now_or_later, with_facts
from carepath.services import visibility
from carepath.services.actor import ActorFacts
from carepath.services.phi_log import PhiObject

if TYPE_CHECKING:
    from carepath.models import TelehealthLocation as TelehealthLocationModel
    from carepath.schema.types.clients import Client, ClientLocation
    from carepath.schema.types.practice import Provider


R = TypeVar("R")


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
    def provider(
        self, info: Info
    ) -> Annotated[Provider, strawberry.lazy("carepath.schema.types.practice")]:
        from carepath.schema.types.practice import Provider

        loader = info.context.loaders.provider_by_id
        return now_or_later(loader, self.model.provider_id, lambda p: Provider(model=existing(p)))

    @strawberry.field
    def client(
        self, info: Info
    ) -> Annotated[Client, strawberry.lazy("carepath.schema.types.clients")]:
        from carepath.schema.types.clients import Client

        self._read(info)
        visible = self._visible_client_now(info)
        if visible is None:
            return later(self._client_later(info))
        return Client(model=visible)

    async def _client_later(self, info: Info) -> Client:
        from carepath.schema.types.clients import Client

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

    def _location(self, info: Info, then: Callable[[TelehealthLocationModel | None], R]) -> R:
        """The appointment's platform: the one it was booked with, else the current default
        (now when the page prefetched its providers' locations)."""
        if self.model.modality != Modality.TELEHEALTH:
            return then(None)
        loader = info.context.loaders.telehealth_by_provider
        return with_facts(
            info,
            loader,
            self.model.provider_id,
            lambda viewer, locations: then(self._platform(info, viewer, locations)),
        )

    def _platform(
        self, info: Info, viewer: ActorFacts, locations: list[TelehealthLocationModel]
    ) -> TelehealthLocationModel | None:
        if not visibility.is_party_to_appointment(viewer, self.model):
            deny(info, self._phi)
        self._read(info)
        chosen = [loc for loc in locations if loc.id == self.model.telehealth_location_id]
        defaults = [loc for loc in locations if loc.is_default]
        candidates = chosen or defaults
        return candidates[0] if candidates else None

    @strawberry.field(
        description="The telehealth link for this appointment; "
        "seen only by its client and provider."
    )
    def telehealth_link(self, info: Info) -> str | None:
        return self._location(info, lambda location: location.url if location else None)

    @strawberry.field
    def telehealth_instructions(self, info: Info) -> str | None:
        return self._location(info, lambda location: location.instructions if location else None)

    @strawberry.field(
        description="Appointments scheduled together as a recurring series share this id."
    )
    def series_id(self, info: Info) -> strawberry.ID | None:
        self._read(info)
        series_id = self.model.series_id
        return to_global_id("AppointmentSeries", series_id) if series_id else None

    def _visible_client_now(self, info: Info) -> ClientModel | None:
        """The client when the page prefetched them and what decides whether the viewer
        may see them; None when it did not. Refuses a viewer who may not."""
        row = loaded(info.context.loaders.client_by_id, self.model.client_id)
        client = row.value if row is not None else None
        if client is None:
            return None
        verdict = can_see_client_now(info, client)
        if verdict is False:
            deny(info, PhiObject("Client", client.id, client.id))
        return client if verdict else None

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
