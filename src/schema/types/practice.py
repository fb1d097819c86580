"""Providers, their licensing, availability and telehealth, and group practices."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from tortoise.expressions import Q

from carepath.models import Client as ClientModel
from carepath.models import Credential as CredentialModel
from carepath.models import License as LicenseModel
from carepath.models import Provider as ProviderModel
from carepath.models import TelehealthLocation as TelehealthLocationModel
from carepath.models.enums import (
    AppointmentKind,
    CredentialingStatus,
    IntakeMode,
    ProviderStatus,
    RosterStatus,
    UsState,
    VerificationStatus,
)
from carepath.schema.access import deny, facts, require_manager
from carepath.schema.appointment_lists import appointment_connection
from carepath.schema.context import Info
from carepath.schema.errors import bad_user_input
from carepath.schema.ids import to_global_id
from carepath.schema.loaders import load_existing
from carepath.schema.node import Node
from carepath.schema.pagination import Connection, Page
from carepath.schema.prefetch import load_all, selected_below, with_facts
from carepath.schema.types.clients import Client, client_connection
from carepath.schema.types.scheduling import Appointment, TimeSlot
from carepath.services import visibility
from carepath.services.actor import ActorFacts
from carepath.services.availability import format_minute
from carepath.services.booking import SlotRange, open_slots
from carepath.services.errors import RuleViolation

if TYPE_CHECKING:
    from carepath.schema.types.groups import Group
    from carepath.schema.types.webhooks import WebhookEndpoint


@strawberry.type
class License:
    id: strawberry.ID
    state: UsState
    number: str
    status: VerificationStatus

    @classmethod
    def of(cls, row: LicenseModel) -> License:
        return cls(
            id=to_global_id("License", row.id),
            state=UsState(row.state),
            number=row.number,
            status=VerificationStatus(row.status),
        )


@strawberry.type
class Credential:
    id: strawberry.ID
    state: UsState
    status: CredentialingStatus

    @classmethod
    def of(cls, row: CredentialModel) -> Credential:
        return cls(
            id=to_global_id("Credential", row.id),
            state=UsState(row.state),
            status=CredentialingStatus(row.status),
        )


@strawberry.type
class AvailabilityWindow:
    weekday: int = strawberry.field(
        description="1 = Monday ... 7 = Sunday, in the provider's time zone."
    )
    start: str = strawberry.field(description="HH:MM, provider's local time.")
    end: str


@strawberry.type(
    description="A provider's telehealth platform: the link and instructions sent to clients."
)
class TelehealthLocation(Node):
    model: strawberry.Private[TelehealthLocationModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("TelehealthLocation", self.model.id)

    @strawberry.field
    async def provider(self, info: Info) -> Provider:
        provider = await load_existing(info.context.loaders.provider_by_id, self.model.provider_id)
        return Provider(model=provider)

    @strawberry.field(description="Platform name, e.g. Doxy.me.")
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="https only.")
    def url(self) -> str:
        return self.model.url

    @strawberry.field
    def instructions(self) -> str | None:
        return self.model.instructions

    @strawberry.field
    def is_default(self) -> bool:
        return self.model.is_default

    @strawberry.field
    def hipaa_compliant(self) -> bool:
        return self.model.hipaa_compliant

    @strawberry.field
    def baa_signed(self) -> bool:
        return self.model.baa_signed

    @strawberry.field
    def waiting_room_enabled(self) -> bool:
        return self.model.waiting_room_enabled


@strawberry.type
class Provider(Node):
    model: strawberry.Private[ProviderModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("Provider", self.model.id)

    @strawberry.field
    def display_name(self) -> str:
        return self.model.display_name

    @strawberry.field
    def bio(self) -> str | None:
        return self.model.bio

    @strawberry.field(
        description="The provider's unique booking link slug; the link is for new clients only."
    )
    def booking_slug(self) -> str:
        return self.model.booking_slug

    @strawberry.field
    def intake_mode(self) -> IntakeMode:
        return IntakeMode(self.model.intake_mode)

    @strawberry.field
    def offers_telehealth(self) -> bool:
        return self.model.offers_telehealth

    @strawberry.field
    def offers_in_person(self) -> bool:
        return self.model.offers_in_person

    @strawberry.field(description="IANA time zone name, e.g. America/New_York.")
    def time_zone(self) -> str:
        return self.model.time_zone

    @strawberry.field(description="State of the provider's office, for in-person sessions.")
    def office_state(self) -> UsState | None:
        return UsState(self.model.office_state) if self.model.office_state else None

    @strawberry.field
    def status(self) -> ProviderStatus:
        return ProviderStatus(self.model.status)

    @strawberry.field
    async def group(
        self, info: Info
    ) -> Annotated[Group, strawberry.lazy("carepath.schema.types.groups")] | None:
        from carepath.schema.types.groups import Group

        if self.model.group_id is None:
            return None
        group = await info.context.loaders.group_by_id.load(self.model.group_id)
        return Group(model=group) if group else None

    @strawberry.field
    def licenses(self, info: Info) -> list[License]:
        def shown(viewer: ActorFacts, rows: list[LicenseModel]) -> list[License]:
            everything = visibility.sees_unverified_credentials(viewer, self.model)
            verified = VerificationStatus.VERIFIED
            return [License.of(r) for r in rows if everything or r.status == verified]

        return with_facts(info, info.context.loaders.licenses_by_provider, self.model.id, shown)

    @strawberry.field
    def credentials(self, info: Info) -> list[Credential]:
        def shown(viewer: ActorFacts, rows: list[CredentialModel]) -> list[Credential]:
            everything = visibility.sees_unverified_credentials(viewer, self.model)
            credentialed = CredentialingStatus.CREDENTIALED
            return [Credential.of(r) for r in rows if everything or r.status == credentialed]

        loader = info.context.loaders.credentials_by_provider
        return with_facts(info, loader, self.model.id, shown)

    @strawberry.field
    async def availability(self, info: Info) -> list[AvailabilityWindow]:
        rows = await info.context.loaders.windows_by_provider.load(self.model.id)
        return [
            AvailabilityWindow(
                weekday=r.weekday,
                start=format_minute(r.start_minute),
                end=format_minute(r.end_minute),
            )
            for r in rows
        ]

    @strawberry.field(description="Visible to the provider and the group's admins.")
    async def telehealth_locations(self, info: Info) -> list[TelehealthLocation]:
        await require_manager(info, self.model)
        rows = await info.context.loaders.telehealth_by_provider.load(self.model.id)
        return [TelehealthLocation(model=r) for r in rows]

    @strawberry.field(description="Visible to the provider and the group's admins.")
    async def clients(
        self,
        info: Info,
        status: RosterStatus = RosterStatus.ACTIVE,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Client]:
        await require_manager(info, self.model)
        queryset = ClientModel.filter(
            roster_entries__provider_id=self.model.id, roster_entries__status=status
        )
        return await client_connection(info, queryset, Page(first, after, last, before))

    @strawberry.field(
        description="Open slots for the provider's intake appointment kind "
        "(or the given kind) between from and to."
    )
    async def available_slots(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        kind: AppointmentKind | None = None,
    ) -> list[TimeSlot]:
        try:
            slot_range = SlotRange.of(from_, to)
        except RuleViolation as violation:
            raise bad_user_input(violation.message) from violation
        loaders = info.context.loaders
        windows = await loaders.windows_by_provider.load(self.model.id)
        busy = await loaders.busy_in(slot_range).load(self.model.id)
        slots = open_slots(self.model, windows, busy, slot_range, kind, info.context.settings)
        return [TimeSlot(starts_at=s, ends_at=e) for s, e in slots]

    @strawberry.field(description="Visible to the provider and the group's admins.")
    async def appointments(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Appointment]:
        await require_manager(info, self.model)
        scope = Q(provider_id=self.model.id)
        return await appointment_connection(
            info, scope, from_, to, Page(first, after, last, before)
        )

    @strawberry.field(
        description="Secret iCalendar feed URL of the provider's appointments; "
        "visible to the provider only."
    )
    async def calendar_feed_url(self, info: Info) -> str | None:
        if not visibility.is_own_provider(await facts(info), self.model):
            deny(info)
        secret = self.model.calendar_secret
        if secret is None:
            return None
        return f"{info.context.settings.public_api_url}/calendar/{secret}.ics"

    @strawberry.field(description="The provider's own webhook endpoints; the provider only.")
    async def webhook_endpoints(
        self, info: Info
    ) -> list[Annotated[WebhookEndpoint, strawberry.lazy("carepath.schema.types.webhooks")]]:
        from carepath.schema.types.webhooks import provider_endpoints

        return await provider_endpoints(info, self.model)


async def prefetch_providers_page(info: Info, rows: list[ProviderModel]) -> None:
    """What a page of providers' selected fields read, for all of them at once
    (schema.prefetch): the viewer's facts and the licenses or credentials asked for."""
    selected = selected_below(info, "edges", "node")
    if not rows or not selected & {"licenses", "credentials"}:
        return
    await facts(info)
    loaders = info.context.loaders
    if "licenses" in selected:
        await load_all(loaders.licenses_by_provider, (p.id for p in rows))
    if "credentials" in selected:
        await load_all(loaders.credentials_by_provider, (p.id for p in rows))
