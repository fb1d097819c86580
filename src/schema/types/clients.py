"""Client, insurance and session locations: PHI, seen by the client and their care team."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from carepath.models import Client as ClientModel
from carepath.models import ClientLocation as ClientLocationModel
from carepath.models import User as UserModel
from carepath.models.enums import ProviderStatus, RosterStatus, UsState
from carepath.schema.access import phi_read
from carepath.schema.context import Info
from carepath.schema.ids import to_global_id
from carepath.schema.node import Node
from carepath.schema.pagination import Connection, Ordering, Page, paginate
from carepath.schema.prefetch import now_or_later
from carepath.services.phi_log import PhiObject

if TYPE_CHECKING:
    from carepath.schema.types.practice import Provider
    from carepath.schema.types.scheduling import Appointment


@strawberry.type
class Insurance:
    payer_name: str
    in_network: bool = strawberry.field(
        description="Whether the payer is one the platform is in-network with."
    )


@strawberry.type(description="Where a client joins virtual sessions from.")
class ClientLocation(Node):
    model: strawberry.Private[ClientLocationModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("ClientLocation", self.model.id)

    @strawberry.field
    def state(self, info: Info) -> UsState:
        phi_read(info, "ClientLocation", self.model.id, self.model.client_id)
        return UsState(self.model.state)

    @strawberry.field
    def label(self, info: Info) -> str | None:
        phi_read(info, "ClientLocation", self.model.id, self.model.client_id)
        return self.model.label


def _full_name(user: UserModel | None) -> str:
    return user.full_name if user else ""


def _email(user: UserModel | None) -> str:
    return user.email if user else ""


async def client_connection(
    info: Info, queryset: QuerySet[ClientModel], page: Page
) -> Connection[Client]:
    """A page of clients by id, read with their users (names and addresses) in the same
    query; each user handed to the request's loader for `fullName` and `email`."""
    users = info.context.loaders.user_by_id

    def wrap(row: ClientModel) -> Client:
        users.prime(row.user_id, row.user)
        return Client(model=row)

    return await paginate(queryset.select_related("user"), page, Ordering("id"), wrap)


@strawberry.type
class Client(Node):
    """Only built once the viewer may see this client (see schema.access.can_see_client)."""

    model: strawberry.Private[ClientModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("Client", self.model.id)

    @strawberry.field
    def full_name(self, info: Info) -> str:
        phi_read(info, "Client", self.model.id, self.model.id)
        return now_or_later(info.context.loaders.user_by_id, self.model.user_id, _full_name)

    @strawberry.field
    def email(self, info: Info) -> str:
        phi_read(info, "Client", self.model.id, self.model.id)
        return now_or_later(info.context.loaders.user_by_id, self.model.user_id, _email)

    @strawberry.field
    async def insurance(self, info: Info) -> Insurance | None:
        phi_read(info, "Client", self.model.id, self.model.id)
        row = await info.context.loaders.insurance_by_client.load(self.model.id)
        if row is None:
            return None
        phi_read(info, "Insurance", row.id, self.model.id)
        return Insurance(payer_name=row.payer_name, in_network=row.in_network)

    @strawberry.field(description="Virtual session locations.")
    async def locations(self, info: Info) -> list[ClientLocation]:
        phi_read(info, "Client", self.model.id, self.model.id)
        rows = await info.context.loaders.locations_by_client.load(self.model.id)
        return [ClientLocation(model=row) for row in rows]

    @strawberry.field(description="Providers with this client on their active roster.")
    async def providers(
        self, info: Info
    ) -> list[Annotated[Provider, strawberry.lazy("carepath.schema.types.practice")]]:
        from carepath.schema.access import facts
        from carepath.schema.types.practice import Provider
        from carepath.services import visibility

        phi_read(info, "Client", self.model.id, self.model.id)
        entries = await info.context.loaders.roster_by_client.load(self.model.id)
        active = [e.provider_id for e in entries if e.status == RosterStatus.ACTIVE]
        providers = await info.context.loaders.provider_by_id.load_many(active)
        viewer = await facts(info)
        own_view = viewer.client_id == self.model.id
        return [
            Provider(model=p)
            for p in providers
            if p is not None
            and p.status != ProviderStatus.REMOVED
            and visibility.can_see_provider(viewer, p)
            # Care elsewhere is the client's to tell: practices see only their own.
            and (own_view or visibility.manages_provider(viewer, p))
        ]

    @strawberry.field(
        description="Providers (or their group's admins, for them) who invited this client to "
        "their roster, awaiting an answer; the client only."
    )
    async def roster_invitations(
        self, info: Info
    ) -> list[Annotated[Provider, strawberry.lazy("carepath.schema.types.practice")]]:
        from carepath.schema.access import deny, facts
        from carepath.schema.types.practice import Provider
        from carepath.services import visibility

        viewer = await facts(info)
        if not visibility.sees_roster_invitations(viewer, self.model.id):
            deny(info, PhiObject("Client", self.model.id, self.model.id))
        invitations = await info.context.loaders.invitations_by_client.load(self.model.id)
        providers = await info.context.loaders.provider_by_id.load_many(
            [i.provider_id for i in invitations]
        )
        # An archived or departed provider's invitation waits, unseen, until they return.
        return [
            Provider(model=p)
            for p in providers
            if p is not None and visibility.can_see_provider(viewer, p)
        ]

    @strawberry.field
    async def appointments(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[Appointment, strawberry.lazy("carepath.schema.types.scheduling")]]:
        from carepath.schema.appointment_lists import appointment_connection

        phi_read(info, "Client", self.model.id, self.model.id)
        scope = Q(client_id=self.model.id)
        return await appointment_connection(
            info, scope, from_, to, Page(first, after, last, before)
        )
