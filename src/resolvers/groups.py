"""Group practice mutations: team, admins, archiving, removal, payouts."""

from __future__ import annotations

import strawberry

from carepath.models.enums import IntakeMode
from carepath.resolvers.common import attempt
from carepath.schema.context import Info
from carepath.schema.ids import pk_of
from carepath.schema.payloads import (
    GroupPayload,
    PayoutsPayload,
    ProviderPayload,
    RemovalRequestPayload,
)
from carepath.schema.types.groups import Group
from carepath.schema.types.operations import Payout, ProviderRemovalRequest
from carepath.schema.types.practice import Provider
from carepath.services import groups
from carepath.services.groups import NewGroupProvider


@strawberry.input
class CreateGroupInput:
    name: str


@strawberry.input
class AddProviderToGroupInput:
    group_id: strawberry.ID
    email: str = strawberry.field(
        description="Email of an existing, verified account; it becomes a provider in the group."
    )
    display_name: str
    intake_mode: IntakeMode = IntakeMode.PHONE_CONSULTATION
    time_zone: str = "America/New_York"


@strawberry.input
class AddGroupAdminInput:
    group_id: strawberry.ID
    email: str = strawberry.field(
        description="Email of an existing account with a verified email address."
    )


@strawberry.input
class ProviderIdInput:
    provider_id: strawberry.ID


@strawberry.input
class CompleteProviderRemovalInput:
    removal_request_id: strawberry.ID


@strawberry.input
class MarkPayoutsPaidInput:
    provider_id: strawberry.ID


@strawberry.type
class GroupMutations:
    @strawberry.mutation(
        description="The signed-in provider creates a group practice and becomes its owner."
    )
    async def create_group(self, info: Info, input: CreateGroupInput) -> GroupPayload:
        group, errors = await attempt(info, groups.create_group(info.context.actor, input.name))
        return GroupPayload(group=Group(model=group) if group else None, errors=errors)

    @strawberry.mutation
    async def add_provider_to_group(
        self, info: Info, input: AddProviderToGroupInput
    ) -> ProviderPayload:
        new = NewGroupProvider(input.email, input.display_name, input.intake_mode, input.time_zone)
        call = groups.add_provider_to_group(info.context.actor, pk_of(input.group_id, "Group"), new)
        provider, errors = await attempt(info, call)
        return ProviderPayload(
            provider=Provider(model=provider) if provider else None, errors=errors
        )

    @strawberry.mutation
    async def add_group_admin(self, info: Info, input: AddGroupAdminInput) -> GroupPayload:
        call = groups.add_group_admin(
            info.context.actor, pk_of(input.group_id, "Group"), input.email
        )
        group, errors = await attempt(info, call)
        return GroupPayload(group=Group(model=group) if group else None, errors=errors)

    @strawberry.mutation
    async def archive_provider(self, info: Info, input: ProviderIdInput) -> ProviderPayload:
        call = groups.archive_provider(info.context.actor, pk_of(input.provider_id, "Provider"))
        provider, errors = await attempt(info, call)
        return ProviderPayload(
            provider=Provider(model=provider) if provider else None, errors=errors
        )

    @strawberry.mutation
    async def unarchive_provider(self, info: Info, input: ProviderIdInput) -> ProviderPayload:
        call = groups.unarchive_provider(info.context.actor, pk_of(input.provider_id, "Provider"))
        provider, errors = await attempt(info, call)
        return ProviderPayload(
            provider=Provider(model=provider) if provider else None, errors=errors
        )

    @strawberry.mutation(
        description="Refused with PENDING_PAYOUTS until the group has received its last payout "
        "for the provider's sessions."
    )
    async def request_provider_removal(
        self, info: Info, input: ProviderIdInput
    ) -> RemovalRequestPayload:
        call = groups.request_removal(info.context.actor, pk_of(input.provider_id, "Provider"))
        request, errors = await attempt(info, call)
        return RemovalRequestPayload(
            removal_request=ProviderRemovalRequest(model=request) if request else None,
            errors=errors,
        )

    @strawberry.mutation(description="Staff only.")
    async def complete_provider_removal(
        self, info: Info, input: CompleteProviderRemovalInput
    ) -> RemovalRequestPayload:
        request_id = pk_of(input.removal_request_id, "ProviderRemovalRequest")
        request, errors = await attempt(
            info, groups.complete_removal(info.context.actor, request_id)
        )
        return RemovalRequestPayload(
            removal_request=ProviderRemovalRequest(model=request) if request else None,
            errors=errors,
        )

    @strawberry.mutation(description="Staff only.")
    async def mark_payouts_paid(self, info: Info, input: MarkPayoutsPaidInput) -> PayoutsPayload:
        call = groups.mark_payouts_paid(info.context.actor, pk_of(input.provider_id, "Provider"))
        payouts, errors = await attempt(info, call)
        return PayoutsPayload(payouts=[Payout(model=p) for p in payouts or []], errors=errors)
