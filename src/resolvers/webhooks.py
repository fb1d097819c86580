"""Webhook mutations (create, update, delete, rotate, redeliver) and their `node` lookups."""

from __future__ import annotations

import strawberry

from carepath.models import WebhookEndpoint as WebhookEndpointModel
from carepath.models import enums
from carepath.resolvers.common import attempt
from carepath.schema.access import facts
from carepath.schema.context import Info
from carepath.schema.errors import UserError
from carepath.schema.ids import pk_of
from carepath.schema.node import Node
from carepath.schema.payloads import OkPayload
from carepath.schema.types.webhooks import (
    WebhookDelivery,
    WebhookDeliveryPayload,
    WebhookEndpoint,
    WebhookEndpointPayload,
    WebhookEventType,
    WebhookSecretPayload,
)
from carepath.services import visibility, webhooks


@strawberry.input
class CreateWebhookEndpointInput:
    provider_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Exactly one of providerId (the signed-in provider's own profile) and groupId.",
    )
    group_id: strawberry.ID | None = None
    url: str
    events: list[WebhookEventType]


@strawberry.input
class UpdateWebhookEndpointInput:
    endpoint_id: strawberry.ID
    url: str | None = None
    events: list[WebhookEventType] | None = None
    enabled: bool | None = None


@strawberry.input
class WebhookEndpointIdInput:
    endpoint_id: strawberry.ID


@strawberry.input
class RedeliverWebhookInput:
    delivery_id: strawberry.ID


def _secret_payload(
    result: tuple[WebhookEndpointModel, str] | None, errors: list[UserError]
) -> WebhookSecretPayload:
    if result is None:
        return WebhookSecretPayload(errors=errors)
    endpoint, secret = result
    return WebhookSecretPayload(endpoint=WebhookEndpoint(model=endpoint), secret=secret)


def _events(chosen: list[WebhookEventType] | None) -> list[enums.WebhookEventType] | None:
    return None if chosen is None else [e.domain for e in chosen]


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description="A provider (for their own events) or a group's owner/admins (for the "
        "group's) register an HTTPS endpoint; the signing secret is in this answer only."
    )
    async def create_webhook_endpoint(
        self, info: Info, input: CreateWebhookEndpointInput
    ) -> WebhookSecretPayload:
        owner = webhooks.Owner(
            provider_id=pk_of(input.provider_id, "Provider"),
            group_id=pk_of(input.group_id, "Group"),
            provider_given=input.provider_id is not None,
            group_given=input.group_id is not None,
        )
        call = webhooks.create_endpoint(
            info.context.actor, info.context.settings, owner, input.url, _events(input.events) or []
        )
        return _secret_payload(*await attempt(info, call))

    @strawberry.mutation
    async def update_webhook_endpoint(
        self, info: Info, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        changes = webhooks.Changes(
            url=input.url, events=_events(input.events), enabled=input.enabled
        )
        call = webhooks.update_endpoint(
            info.context.actor,
            info.context.settings,
            pk_of(input.endpoint_id, "WebhookEndpoint"),
            changes,
        )
        endpoint, errors = await attempt(info, call)
        return WebhookEndpointPayload(
            endpoint=WebhookEndpoint(model=endpoint) if endpoint else None, errors=errors
        )

    @strawberry.mutation
    async def delete_webhook_endpoint(self, info: Info, input: WebhookEndpointIdInput) -> OkPayload:
        call = webhooks.delete_endpoint(
            info.context.actor, pk_of(input.endpoint_id, "WebhookEndpoint")
        )
        ok, errors = await attempt(info, call)
        return OkPayload(ok=bool(ok), errors=errors)

    @strawberry.mutation(
        description="A new signing secret; the previous one keeps signing alongside it for "
        "24 hours."
    )
    async def rotate_webhook_secret(
        self, info: Info, input: WebhookEndpointIdInput
    ) -> WebhookSecretPayload:
        call = webhooks.rotate_secret(
            info.context.actor, info.context.settings, pk_of(input.endpoint_id, "WebhookEndpoint")
        )
        return _secret_payload(*await attempt(info, call))

    @strawberry.mutation(
        description="Queues one more attempt of a delivery, with the same event id, whatever "
        "its status."
    )
    async def redeliver_webhook(
        self, info: Info, input: RedeliverWebhookInput
    ) -> WebhookDeliveryPayload:
        call = webhooks.redeliver(
            info.context.actor, info.context.settings, pk_of(input.delivery_id, "WebhookDelivery")
        )
        delivery, errors = await attempt(info, call)
        return WebhookDeliveryPayload(
            delivery=WebhookDelivery(model=delivery) if delivery else None, errors=errors
        )


async def endpoint_node(info: Info, pk: int) -> Node | None:
    """The endpoint, to its owner only; null for anyone else."""
    endpoint = await info.context.loaders.webhook_endpoint_by_id.load(pk)
    if endpoint is None or not visibility.owns_webhook_endpoint(await facts(info), endpoint):
        return None
    return WebhookEndpoint(model=endpoint)


async def delivery_node(info: Info, pk: int) -> Node | None:
    """A delivery, to its endpoint's owner only; null for anyone else."""
    delivery = await info.context.loaders.webhook_delivery_by_id.load(pk)
    if delivery is None:
        return None
    endpoint = await info.context.loaders.webhook_endpoint_by_id.load(delivery.endpoint_id)
    if endpoint is None or not visibility.owns_webhook_endpoint(await facts(info), endpoint):
        return None
    return WebhookDelivery(model=delivery)
