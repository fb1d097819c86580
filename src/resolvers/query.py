"""Root Query fields."""

from __future__ import annotations

import strawberry

from carepath.resolvers.nodes import resolve_node
from carepath.schema.context import Info
from carepath.schema.node import Node
from carepath.schema.types.users import User


@strawberry.type
class CoreQuery:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="The signed-in user, or null.")
    def me(self, info: Info) -> User | None:
        user = info.context.actor.user
        return User(model=user) if user is not None else None
