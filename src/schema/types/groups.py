"""Group practices: public name and active providers; the rest for the group's admins."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from tortoise.expressions import Q

from carepath.models import Client as ClientModel
from carepath.models import Group as GroupModel
from carepath.models import Provider as ProviderModel
from carepath.models.enums import ProviderStatus
from carepath.schema.access import deny, facts
from carepath.schema.appointment_lists import appointment_connection
from carepath.schema.context import Info
from carepath.schema.ids import to_global_id
from carepath.schema.loaders import load_existing
from carepath.schema.node import Node
from carepath.schema.pagination import Connection, Ordering, Page, paginate
from carepath.schema.types.clients import Client, client_connection
from carepath.schema.types.practice import Provider
from carepath.schema.types.scheduling import Appointment
from carepath.services import visibility

if TYPE_CHECKING:
    from carepath.schema.types.operations import ProviderRemovalRequest
    from carepath.schema.types.users import User
    from carepath.schema.types.webhooks import WebhookEndpoint

UserType = Annotated["User", strawberry.lazy("carepath.schema.types.users")]


@strawberry.type
class Group(Node):
    model: strawberry.Private[GroupModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("Group", self.model.id)

    @strawberry.field
    def name(self) -> str:
        return self.model.name

    async def _require_insider(self, info: Info) -> None:
        """Owner, admins, the group's own providers and staff see who runs the group."""
        viewer = await facts(info)
        if not (
            visibility.administers_group(viewer, self.model.id)
            or viewer.provider_group_id == self.model.id
            or viewer.is_staff
        ):
            deny(info)

    @strawberry.field
    async def owner(self, info: Info) -> UserType:
        from carepath.schema.types.users import User

        await self._require_insider(info)
        user = await load_existing(info.context.loaders.user_by_id, self.model.owner_id)
        return User(model=user)

    @strawberry.field
    async def admins(self, info: Info) -> list[UserType]:
        from carepath.schema.types.users import User

        await self._require_insider(info)
        memberships = await info.context.loaders.memberships_by_group.load(self.model.id)
        users = await info.context.loaders.user_by_id.load_many([m.user_id for m in memberships])
        return [User(model=u) for u in users if u is not None]

    @strawberry.field(
        description="Archived providers appear only to the group's admins, "
        "and only with includeArchived."
    )
    async def providers(
        self,
        info: Info,
        include_archived: bool = False,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Provider]:
        admin = visibility.administers_group(await facts(info), self.model.id)
        queryset = ProviderModel.filter(group_id=self.model.id)
        if not (include_archived and admin):
            queryset = queryset.filter(status=ProviderStatus.ACTIVE)
        else:
            queryset = queryset.exclude(status=ProviderStatus.REMOVED)
        return await paginate(
            queryset, Page(first, after, last, before), Ordering("id"), lambda p: Provider(model=p)
        )

    @strawberry.field(description="Clients on the roster of any of the group's providers.")
    async def clients(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Client]:
        if not visibility.administers_group(await facts(info), self.model.id):
            deny(info)
        queryset = ClientModel.filter(roster_entries__provider__group_id=self.model.id).distinct()
        return await client_connection(info, queryset, Page(first, after, last, before))

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
    ) -> Connection[Appointment]:
        if not visibility.administers_group(await facts(info), self.model.id):
            deny(info)
        scope = Q(group_id=self.model.id)
        return await appointment_connection(
            info, scope, from_, to, Page(first, after, last, before)
        )

    @strawberry.field
    async def removal_requests(
        self, info: Info
    ) -> list[
        Annotated[ProviderRemovalRequest, strawberry.lazy("carepath.schema.types.operations")]
    ]:
        from carepath.schema.types.operations import ProviderRemovalRequest

        viewer = await facts(info)
        if not (visibility.administers_group(viewer, self.model.id) or viewer.is_staff):
            deny(info)
        rows = await info.context.loaders.removal_requests_by_group.load(self.model.id)
        return [ProviderRemovalRequest(model=r) for r in rows]

    @strawberry.field(description="The group's webhook endpoints; its owner and admins only.")
    async def webhook_endpoints(
        self, info: Info
    ) -> list[Annotated[WebhookEndpoint, strawberry.lazy("carepath.schema.types.webhooks")]]:
        from carepath.schema.types.webhooks import group_endpoints

        return await group_endpoints(info, self.model)
