"""Webhook endpoints and deliveries as their owners see them (RULES.md "Webhooks").

These objects reach only their owner (node, Provider/Group.webhookEndpoints and the
mutations check it); the secret is never a field: it appears in create and rotate answers.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from carepath.models import Group as GroupModel
from carepath.models import Provider as ProviderModel
from carepath.models import WebhookDelivery as WebhookDeliveryModel
from carepath.models import WebhookEndpoint as WebhookEndpointModel
from carepath.models import enums
from carepath.schema.access import deny, facts
from carepath.schema.context import Info
from carepath.schema.errors import UserError
from carepath.schema.ids import to_global_id
from carepath.schema.node import Node
from carepath.schema.pagination import Connection, Ordering, Page, paginate
from carepath.services import visibility

if TYPE_CHECKING:
    from carepath.schema.types.groups import Group
    from carepath.schema.types.practice import Provider


@strawberry.enum(
    description="Events a webhook endpoint subscribes to. A payload carries ids, kinds, "
    "states and times,\nnever a name, email, message body, reason, location, link or insurance."
)
class WebhookEventType(Enum):
    APPOINTMENT_BOOKED = strawberry.enum_value(
        "appointment.booked",
        description="A first booking or a follow-up (one event per appointment of a series): "
        "appointment.booked",
    )
    APPOINTMENT_RESCHEDULED = strawberry.enum_value(
        "appointment.rescheduled", description="appointment.rescheduled"
    )
    APPOINTMENT_CANCELLED = strawberry.enum_value(
        "appointment.cancelled", description="appointment.cancelled"
    )
    SESSION_CONFIRMED = strawberry.enum_value("session.confirmed", description="session.confirmed")
    MESSAGE_SENT = strawberry.enum_value(
        "message.sent", description="message.sent: provider endpoints only"
    )
    CLIENT_TRANSFERRED = strawberry.enum_value(
        "client.transferred", description="client.transferred"
    )

    @property
    def domain(self) -> enums.WebhookEventType:
        return enums.WebhookEventType(cast(str, self.value))


@strawberry.enum
class WebhookDeliveryStatus(Enum):
    PENDING = strawberry.enum_value(
        "PENDING", description="Not yet delivered: waiting for its first attempt or a retry."
    )
    SUCCEEDED = strawberry.enum_value("SUCCEEDED", description="An attempt got a 2xx answer.")
    FAILED = strawberry.enum_value("FAILED", description="Every scheduled attempt failed.")


@strawberry.type
class WebhookDelivery(Node):
    model: strawberry.Private[WebhookDeliveryModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("WebhookDelivery", self.model.id)

    @strawberry.field(
        description="The event's id, sent as the webhook-id header: the same on every "
        "attempt and redelivery."
    )
    def event_id(self) -> str:
        return self.model.event_id

    @strawberry.field
    def event_type(self) -> WebhookEventType:
        return WebhookEventType(self.model.event_type)

    @strawberry.field
    def status(self) -> WebhookDeliveryStatus:
        return WebhookDeliveryStatus(str(self.model.status))

    @strawberry.field
    def attempts(self) -> int:
        return int(self.model.attempts)

    @strawberry.field(description="HTTP status of the last attempt; null when it got no answer.")
    def last_response_status(self) -> int | None:
        status = self.model.last_response_status
        return int(status) if status is not None else None

    @strawberry.field
    def last_attempt_at(self) -> datetime | None:
        return self.model.last_attempt_at

    @strawberry.field(description="When the next attempt is due; null when none is scheduled.")
    def next_attempt_at(self) -> datetime | None:
        return self.model.next_attempt_at

    @strawberry.field(description="The JSON body posted on every attempt.")
    def payload(self) -> str:
        return self.model.payload


@strawberry.type
class WebhookEndpoint(Node):
    model: strawberry.Private[WebhookEndpointModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("WebhookEndpoint", self.model.id)

    @strawberry.field
    def url(self) -> str:
        return self.model.url

    @strawberry.field
    def events(self) -> list[WebhookEventType]:
        return [WebhookEventType(e) for e in self.model.events]

    @strawberry.field(
        description="A disabled endpoint gets no attempts; its pending deliveries wait until "
        "it is enabled again."
    )
    def enabled(self) -> bool:
        return self.model.enabled

    @strawberry.field(description="The provider whose events it receives (a provider's endpoint).")
    async def provider(
        self, info: Info
    ) -> Annotated[Provider, strawberry.lazy("carepath.schema.types.practice")] | None:
        from carepath.schema.types.practice import Provider

        if self.model.provider_id is None:
            return None
        provider = await info.context.loaders.provider_by_id.load(self.model.provider_id)
        return Provider(model=provider) if provider else None

    @strawberry.field(
        description="The group whose providers' events it receives (a group's endpoint)."
    )
    async def group(
        self, info: Info
    ) -> Annotated[Group, strawberry.lazy("carepath.schema.types.groups")] | None:
        from carepath.schema.types.groups import Group

        if self.model.group_id is None:
            return None
        group = await info.context.loaders.group_by_id.load(self.model.group_id)
        return Group(model=group) if group else None

    @strawberry.field
    def created_at(self) -> datetime:
        return self.model.created_at

    @strawberry.field(description="Newest first.")
    async def deliveries(
        self,
        status: WebhookDeliveryStatus | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[WebhookDelivery]:
        queryset = WebhookDeliveryModel.filter(endpoint_id=self.model.id)
        if status is not None:
            queryset = queryset.filter(status=enums.WebhookDeliveryStatus(cast(str, status.value)))
        return await paginate(
            queryset,
            Page(first, after, last, before),
            Ordering("id", descending=True),
            lambda d: WebhookDelivery(model=d),
        )


async def provider_endpoints(info: Info, provider: ProviderModel) -> list[WebhookEndpoint]:
    """Provider.webhookEndpoints: the provider only (not their group's admins)."""
    if not visibility.is_own_provider(await facts(info), provider):
        deny(info)
    rows = await info.context.loaders.webhook_endpoints_by_provider.load(provider.id)
    return [WebhookEndpoint(model=r) for r in rows]


async def group_endpoints(info: Info, group: GroupModel) -> list[WebhookEndpoint]:
    """Group.webhookEndpoints: the group's owner and admins only."""
    if not visibility.administers_group(await facts(info), group.id):
        deny(info)
    rows = await info.context.loaders.webhook_endpoints_by_group.load(group.id)
    return [WebhookEndpoint(model=r) for r in rows]


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookSecretPayload:
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret, whsec_ followed by base64 of 32 random bytes; "
        "shown only in this answer.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
