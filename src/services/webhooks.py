"""Webhook endpoints: create, update, delete, rotate the secret, redeliver (RULES.md "Webhooks").

Endpoints belong to a provider (their own events) or to a group (its appointments and
transfers); only their owner sees them. The secret appears only in create and rotate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from carepath.clock import utcnow
from carepath.models import Group, Provider, WebhookDelivery, WebhookEndpoint
from carepath.models.enums import WebhookDeliveryStatus, WebhookEventType
from carepath.services import audit, visibility, webhook_secrets, webhook_urls
from carepath.services.actor import Actor
from carepath.services.errors import ErrorCode, RuleViolation, not_found, validation
from carepath.settings import Settings

MAX_ENDPOINTS_PER_OWNER = 10
MAX_EVENTS = len(WebhookEventType)


@dataclass(frozen=True)
class Owner:
    """Which of providerId and groupId the caller gave (`given`, even if malformed) and the
    primary key each names (None when absent or not an id of that type)."""

    provider_id: int | None = None
    group_id: int | None = None
    provider_given: bool = False
    group_given: bool = False


@dataclass(frozen=True)
class Changes:
    url: str | None = None
    events: Sequence[WebhookEventType] | None = None
    enabled: bool | None = None


def _check_events(events: Sequence[WebhookEventType], for_group: bool) -> list[str]:
    if not 1 <= len(events) <= MAX_EVENTS or len(set(events)) != len(events):
        raise validation("events", f"Choose 1 to {MAX_EVENTS} different event types.")
    if for_group and WebhookEventType.MESSAGE_SENT in events:
        raise validation(
            "events", "A group's endpoint cannot receive MESSAGE_SENT: admins never read messages."
        )
    return [WebhookEventType(e).value for e in events]


async def _check_url(settings: Settings, url: str) -> str:
    checked = webhook_urls.check_url(url, production=settings.is_production)
    await webhook_urls.check_host(checked, production=settings.is_production)
    return checked


async def _owner(actor: Actor, owner: Owner) -> Provider | Group:
    """The provider or group the endpoint will belong to, after visibility and authority."""
    if owner.provider_given == owner.group_given:
        raise validation("providerId", "Give exactly one of providerId and groupId.")
    facts = await actor.facts()
    if owner.provider_given:
        provider = await Provider.get_or_none(id=owner.provider_id) if owner.provider_id else None
        if provider is None or not visibility.can_see_provider(facts, provider):
            raise not_found("provider", "providerId")
        if not visibility.is_own_provider(facts, provider):
            raise RuleViolation(
                ErrorCode.FORBIDDEN,
                "Only the provider registers their own endpoints.",
                "providerId",
            )
        return provider
    group = await Group.get_or_none(id=owner.group_id) if owner.group_id else None
    if group is None:
        raise not_found("group", "groupId")
    if not visibility.administers_group(facts, group.id):
        raise RuleViolation(ErrorCode.NOT_IN_GROUP, "You do not administer this group.", "groupId")
    return group


async def _lock(owner: Provider | Group) -> int:
    """Serialises endpoint creation per owner (the limit) and counts its endpoints."""
    if isinstance(owner, Provider):
        await Provider.filter(id=owner.id).select_for_update().only("id").first()
        return await WebhookEndpoint.filter(provider_id=owner.id).count()
    await Group.filter(id=owner.id).select_for_update().only("id").first()
    return await WebhookEndpoint.filter(group_id=owner.id).count()


async def create_endpoint(
    actor: Actor,
    settings: Settings,
    owner: Owner,
    url: str,
    events: Sequence[WebhookEventType],
) -> tuple[WebhookEndpoint, str]:
    """The endpoint and its secret, which is never shown again."""
    actor.require_user()
    found = await _owner(actor, owner)
    is_group = isinstance(found, Group)
    chosen = _check_events(events, for_group=is_group)
    checked_url = await _check_url(settings, url)
    secret = webhook_secrets.new_secret()
    async with in_transaction():
        if await _lock(found) >= MAX_ENDPOINTS_PER_OWNER:
            raise validation(
                "url", f"At most {MAX_ENDPOINTS_PER_OWNER} endpoints per provider or group."
            )
        endpoint = await WebhookEndpoint.create(
            provider_id=None if is_group else found.id,
            group_id=found.id if is_group else None,
            url=checked_url,
            events=chosen,
            secret_encrypted=webhook_secrets.encrypt(settings.secret_key, secret),
        )
        await audit.record(actor.user_id, "create_webhook_endpoint", "WebhookEndpoint", endpoint.id)
    return endpoint, secret


async def visible_endpoint(actor: Actor, endpoint_id: int | None) -> WebhookEndpoint:
    """The caller's own endpoint; anything else is NOT_FOUND."""
    actor.require_user()
    endpoint = await WebhookEndpoint.get_or_none(id=endpoint_id) if endpoint_id else None
    if endpoint is None or not visibility.owns_webhook_endpoint(await actor.facts(), endpoint):
        raise not_found("webhook endpoint", "endpointId")
    return endpoint


async def update_endpoint(
    actor: Actor, settings: Settings, endpoint_id: int | None, changes: Changes
) -> WebhookEndpoint:
    """Re-enabling an endpoint starts its failure clock afresh; its waiting deliveries go."""
    endpoint = await visible_endpoint(actor, endpoint_id)
    fields: dict[str, object] = {}
    if changes.events is not None:
        fields["events"] = _check_events(changes.events, for_group=endpoint.group_id is not None)
    if changes.url is not None:
        fields["url"] = await _check_url(settings, changes.url)
    if changes.enabled is not None:
        fields["enabled"] = changes.enabled
        if changes.enabled and not endpoint.enabled:
            fields["failing_since"] = None
    if fields:
        async with in_transaction():
            await WebhookEndpoint.filter(id=endpoint.id).update(**fields)
            await audit.record(
                actor.user_id, "update_webhook_endpoint", "WebhookEndpoint", endpoint.id
            )
        await endpoint.refresh_from_db()
    return endpoint


async def delete_endpoint(actor: Actor, endpoint_id: int | None) -> bool:
    """Deletes the endpoint and its deliveries: nothing more is sent to it."""
    endpoint = await visible_endpoint(actor, endpoint_id)
    async with in_transaction():
        await WebhookEndpoint.filter(id=endpoint.id).delete()
        await audit.record(actor.user_id, "delete_webhook_endpoint", "WebhookEndpoint", endpoint.id)
    return True


async def rotate_secret(
    actor: Actor, settings: Settings, endpoint_id: int | None
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the one it replaces keeps signing beside it for 24 hours."""
    endpoint = await visible_endpoint(actor, endpoint_id)
    secret = webhook_secrets.new_secret()
    async with in_transaction():
        await WebhookEndpoint.filter(id=endpoint.id).update(
            secret_encrypted=webhook_secrets.encrypt(settings.secret_key, secret),
            previous_secret_encrypted=endpoint.secret_encrypted,
            secret_rotated_at=utcnow(),
        )
        await audit.record(actor.user_id, "rotate_webhook_secret", "WebhookEndpoint", endpoint.id)
    await endpoint.refresh_from_db()
    return endpoint, secret


def attempts_allowed(settings: Settings, delivery: WebhookDelivery) -> int:
    """The first attempt and one per retry delay, unless a redelivery changed it."""
    if delivery.attempts_allowed is not None:
        return int(delivery.attempts_allowed)
    return 1 + len(settings.webhook_retry_schedule)


async def redeliver(actor: Actor, settings: Settings, delivery_id: int | None) -> WebhookDelivery:
    """One more attempt, due now, with the same event id, whatever the delivery's status:
    a pending delivery keeps the retries it had left, a finished one gets just this one."""
    actor.require_user()
    delivery = await WebhookDelivery.get_or_none(id=delivery_id) if delivery_id else None
    endpoint = await WebhookEndpoint.get_or_none(id=delivery.endpoint_id) if delivery else None
    facts = await actor.facts()
    if (
        delivery is None
        or endpoint is None
        or not visibility.owns_webhook_endpoint(facts, endpoint)
    ):
        raise not_found("webhook delivery", "deliveryId")
    pending = delivery.status == WebhookDeliveryStatus.PENDING
    async with in_transaction():
        await WebhookDelivery.filter(id=delivery.id).update(
            status=WebhookDeliveryStatus.PENDING,
            next_attempt_at=utcnow(),
            attempts_allowed=attempts_allowed(settings, delivery) + 1
            if pending
            else F("attempts") + 1,
        )
        await audit.record(actor.user_id, "redeliver_webhook", "WebhookDelivery", delivery.id)
    await delivery.refresh_from_db()
    return delivery
