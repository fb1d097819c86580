"""User: the account, seen as services.visibility.can_see_user decides."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from carepath.models import User as UserModel
from carepath.models.enums import Role
from carepath.schema.access import can_see_client, deny, facts
from carepath.schema.context import Info
from carepath.schema.enums import Role as RoleEnum  # noqa: F401  (registers the enum)
from carepath.schema.ids import to_global_id
from carepath.schema.node import Node
from carepath.services import visibility
from carepath.services.actor import ActorFacts
from carepath.services.phi_log import PhiObject

if TYPE_CHECKING:
    from carepath.schema.types.clients import Client
    from carepath.schema.types.groups import Group
    from carepath.schema.types.practice import Provider


@strawberry.type
class User(Node):
    model: strawberry.Private[UserModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("User", self.model.id)

    @strawberry.field
    def email(self) -> str:
        return self.model.email

    @strawberry.field
    def full_name(self) -> str:
        return self.model.full_name

    @strawberry.field
    def email_verified(self) -> bool:
        return self.model.email_verified_at is not None

    @strawberry.field
    async def roles(self, info: Info) -> list[Role]:
        if self.model.id == info.context.actor.user_id:
            return (await facts(info)).roles  # the viewer's own: already known
        loaders = info.context.loaders
        client = await loaders.client_by_user.load(self.model.id)
        provider = await loaders.provider_by_user.load(self.model.id)
        memberships = await loaders.memberships_by_user.load(self.model.id)
        return ActorFacts(
            is_staff=self.model.is_staff,
            client_id=client.id if client else None,
            provider_id=provider.id if provider else None,
            admin_group_ids=frozenset(m.group_id for m in memberships),
        ).roles

    @strawberry.field
    async def client_profile(
        self, info: Info
    ) -> Annotated[Client, strawberry.lazy("carepath.schema.types.clients")] | None:
        from carepath.schema.types.clients import Client

        client = await info.context.loaders.client_by_user.load(self.model.id)
        if client is None:
            return None
        if not await can_see_client(info, client):
            deny(info, PhiObject("Client", client.id, client.id))
        return Client(model=client)

    @strawberry.field
    async def provider_profile(
        self, info: Info
    ) -> Annotated[Provider, strawberry.lazy("carepath.schema.types.practice")] | None:
        from carepath.schema.types.practice import Provider

        provider = await info.context.loaders.provider_by_user.load(self.model.id)
        if provider is None:
            return None
        if not visibility.can_see_provider(await facts(info), provider):
            deny(info)
        return Provider(model=provider)

    @strawberry.field(description="Groups this user owns or administers.")
    async def administers(
        self, info: Info
    ) -> list[Annotated[Group, strawberry.lazy("carepath.schema.types.groups")]]:
        from carepath.schema.types.groups import Group

        memberships = await info.context.loaders.memberships_by_user.load(self.model.id)
        groups = await info.context.loaders.group_by_id.load_many([m.group_id for m in memberships])
        return [Group(model=g) for g in groups if g is not None]


async def can_see_user(info: Info, user: UserModel) -> bool:
    """services.visibility.can_see_user, fed by loaders."""
    loaders = info.context.loaders
    memberships = await loaders.memberships_by_user.load(user.id)
    provider = await loaders.provider_by_user.load(user.id)
    return visibility.can_see_user(
        await facts(info),
        user.id,
        is_staff=user.is_staff,
        is_provider=provider is not None,
        admin_of=[m.group_id for m in memberships],
    )
