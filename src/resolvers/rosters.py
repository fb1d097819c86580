"""Roster and client mutations: add, archive, transfer; insurance and session locations."""

from __future__ import annotations

import strawberry

from carepath.models import Client as ClientModel
from carepath.models import Provider as ProviderModel
from carepath.models.enums import UsState
from carepath.resolvers.common import attempt, phi_named
from carepath.schema.context import Info
from carepath.schema.errors import UserError
from carepath.schema.ids import pk_of
from carepath.schema.payloads import ClientLocationPayload, ClientPayload, RosterPayload
from carepath.schema.types.clients import Client, ClientLocation
from carepath.schema.types.practice import Provider
from carepath.services import rosters


@strawberry.input
class AddClientToRosterInput:
    provider_id: strawberry.ID
    email: str = strawberry.field(
        description="The client's account email: an existing client account is recognised."
    )


@strawberry.input
class RespondToRosterInvitationInput:
    provider_id: strawberry.ID
    accept: bool


@strawberry.input
class ArchiveClientInput:
    provider_id: strawberry.ID
    client_id: strawberry.ID


@strawberry.input
class TransferClientInput:
    client_id: strawberry.ID
    from_provider_id: strawberry.ID
    to_provider_id: strawberry.ID


@strawberry.input
class SetInsuranceInput:
    client_id: strawberry.ID
    payer_name: str
    in_network: bool


@strawberry.input
class AddClientLocationInput:
    client_id: strawberry.ID
    state: UsState
    label: str | None = None


def _roster_payload(
    pair: tuple[ProviderModel, ClientModel | None] | None, errors: list[UserError]
) -> RosterPayload:
    """`client` stays null for an invitation: the provider sees nothing until it is accepted."""
    if pair is None:
        return RosterPayload(errors=errors)
    provider, client = pair
    return RosterPayload(
        provider=Provider(model=provider), client=Client(model=client) if client else None
    )


@strawberry.type
class RosterMutations:
    @strawberry.mutation
    async def add_client_to_roster(
        self, info: Info, input: AddClientToRosterInput
    ) -> RosterPayload:
        call = rosters.add_client_to_roster(
            info.context.actor,
            info.context.settings,
            pk_of(input.provider_id, "Provider"),
            input.email,
        )
        return _roster_payload(*await attempt(info, call))

    @strawberry.mutation(
        description="The client accepts or declines a roster invitation (addClientToRoster "
        "now invites: see RULES.md)."
    )
    async def respond_to_roster_invitation(
        self, info: Info, input: RespondToRosterInvitationInput
    ) -> RosterPayload:
        call = rosters.respond_to_roster_invitation(
            info.context.actor, pk_of(input.provider_id, "Provider"), input.accept
        )
        return _roster_payload(*await attempt(info, call))

    @strawberry.mutation
    async def archive_client(self, info: Info, input: ArchiveClientInput) -> RosterPayload:
        call = rosters.archive_client(
            info.context.actor,
            pk_of(input.provider_id, "Provider"),
            pk_of(input.client_id, "Client"),
        )
        return _roster_payload(*await attempt(info, call, phi_named(input.client_id, "Client")))

    @strawberry.mutation(
        description="Archives the client on one provider's roster and adds them to another's "
        "in the same group, at once."
    )
    async def transfer_client(self, info: Info, input: TransferClientInput) -> RosterPayload:
        call = rosters.transfer_client(
            info.context.actor,
            pk_of(input.client_id, "Client"),
            pk_of(input.from_provider_id, "Provider"),
            pk_of(input.to_provider_id, "Provider"),
        )
        return _roster_payload(*await attempt(info, call, phi_named(input.client_id, "Client")))

    @strawberry.mutation
    async def set_insurance(self, info: Info, input: SetInsuranceInput) -> ClientPayload:
        call = rosters.set_insurance(
            info.context.actor, pk_of(input.client_id, "Client"), input.payer_name, input.in_network
        )
        client, errors = await attempt(info, call, phi_named(input.client_id, "Client"))
        return ClientPayload(client=Client(model=client) if client else None, errors=errors)

    @strawberry.mutation
    async def add_client_location(
        self, info: Info, input: AddClientLocationInput
    ) -> ClientLocationPayload:
        call = rosters.add_client_location(
            info.context.actor, pk_of(input.client_id, "Client"), input.state, input.label
        )
        location, errors = await attempt(info, call, phi_named(input.client_id, "Client"))
        return ClientLocationPayload(
            client_location=ClientLocation(model=location) if location else None, errors=errors
        )
