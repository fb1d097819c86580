"""Per-request DataLoaders: one `filter(<key>__in=keys)` query per batch, never one per row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from carepath.models import (
    Appointment,
    AvailabilityWindow,
    Client,
    ClientLocation,
    Conversation,
    Credential,
    Group,
    GroupMembership,
    Insurance,
    License,
    Message,
    Provider,
    ProviderRemovalRequest,
    RosterEntry,
    RosterInvitation,
    TelehealthLocation,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from carepath.services.booking import SlotRange, busy_times
from carepath.services.guards import booked_in_groups

M = TypeVar("M", bound=Model)


async def _group_bookings(keys: Sequence[int]) -> list[list[tuple[int, int]]]:
    found = await booked_in_groups(keys)
    return [found.get(k, []) for k in keys]


def one_by(model: type[M], key: str = "id") -> Callable[[Sequence[int]], Awaitable[list[M | None]]]:
    """Loads at most one row per key value."""

    async def load(keys: Sequence[int]) -> list[M | None]:
        rows = await model.filter(**{f"{key}__in": list(set(keys))})
        by_key = {getattr(row, key): row for row in rows}
        return [by_key.get(k) for k in keys]

    return load


def many_by(
    model: type[M], key: str, order: Sequence[str] = ("id",), **filters: Any
) -> Callable[[Sequence[int]], Awaitable[list[list[M]]]]:
    """Loads every row per key value, in a stable order."""

    async def load(keys: Sequence[int]) -> list[list[M]]:
        rows = await model.filter(**{f"{key}__in": list(set(keys))}, **filters).order_by(*order)
        grouped: dict[int, list[M]] = defaultdict(list)
        for row in rows:
            grouped[getattr(row, key)].append(row)
        return [grouped.get(k, []) for k in keys]

    return load


K = TypeVar("K")
V = TypeVar("V")


async def load_existing(loader: DataLoader[K, V | None], key: K) -> V:
    """A row a foreign key points at: it exists, so None would be a broken invariant."""
    return existing(await loader.load(key))


def existing(row: V | None) -> V:
    if row is None:
        raise LookupError("dangling reference")
    return row


def _one(model: type[M], key: str = "id") -> Callable[[], DataLoader[int, M | None]]:
    return lambda: DataLoader(load_fn=one_by(model, key))


def _many(model: type[M], key: str, *order: str) -> Callable[[], DataLoader[int, list[M]]]:
    return lambda: DataLoader(load_fn=many_by(model, key, order or ("id",)))


@dataclass
class Loaders:
    user_by_id: DataLoader[int, User | None] = field(default_factory=_one(User))
    provider_by_id: DataLoader[int, Provider | None] = field(default_factory=_one(Provider))
    provider_by_user: DataLoader[int, Provider | None] = field(
        default_factory=_one(Provider, "user_id")
    )
    client_by_id: DataLoader[int, Client | None] = field(default_factory=_one(Client))
    client_by_user: DataLoader[int, Client | None] = field(default_factory=_one(Client, "user_id"))
    appointment_by_id: DataLoader[int, Appointment | None] = field(
        default_factory=_one(Appointment)
    )
    group_by_id: DataLoader[int, Group | None] = field(default_factory=_one(Group))
    insurance_by_client: DataLoader[int, Insurance | None] = field(
        default_factory=_one(Insurance, "client_id")
    )
    location_by_id: DataLoader[int, ClientLocation | None] = field(
        default_factory=_one(ClientLocation)
    )
    conversation_by_id: DataLoader[int, Conversation | None] = field(
        default_factory=_one(Conversation)
    )
    telehealth_location_by_id: DataLoader[int, TelehealthLocation | None] = field(
        default_factory=_one(TelehealthLocation)
    )
    licenses_by_provider: DataLoader[int, list[License]] = field(
        default_factory=_many(License, "provider_id", "state", "id")
    )
    credentials_by_provider: DataLoader[int, list[Credential]] = field(
        default_factory=_many(Credential, "provider_id", "state", "id")
    )
    windows_by_provider: DataLoader[int, list[AvailabilityWindow]] = field(
        default_factory=_many(AvailabilityWindow, "provider_id", "weekday", "start_minute")
    )
    telehealth_by_provider: DataLoader[int, list[TelehealthLocation]] = field(
        default_factory=_many(TelehealthLocation, "provider_id", "-is_default", "id")
    )
    locations_by_client: DataLoader[int, list[ClientLocation]] = field(
        default_factory=_many(ClientLocation, "client_id")
    )
    roster_by_client: DataLoader[int, list[RosterEntry]] = field(
        default_factory=_many(RosterEntry, "client_id")
    )
    invitations_by_client: DataLoader[int, list[RosterInvitation]] = field(
        default_factory=_many(RosterInvitation, "client_id")
    )
    group_bookings_by_client: DataLoader[int, list[tuple[int, int]]] = field(
        default_factory=lambda: DataLoader(load_fn=_group_bookings)
    )
    removal_requests_by_group: DataLoader[int, list[ProviderRemovalRequest]] = field(
        default_factory=_many(ProviderRemovalRequest, "group_id")
    )
    memberships_by_group: DataLoader[int, list[GroupMembership]] = field(
        default_factory=_many(GroupMembership, "group_id")
    )
    memberships_by_user: DataLoader[int, list[GroupMembership]] = field(
        default_factory=_many(GroupMembership, "user_id")
    )
    webhook_endpoint_by_id: DataLoader[int, WebhookEndpoint | None] = field(
        default_factory=_one(WebhookEndpoint)
    )
    webhook_delivery_by_id: DataLoader[int, WebhookDelivery | None] = field(
        default_factory=_one(WebhookDelivery)
    )
    webhook_endpoints_by_provider: DataLoader[int, list[WebhookEndpoint]] = field(
        default_factory=_many(WebhookEndpoint, "provider_id")
    )
    webhook_endpoints_by_group: DataLoader[int, list[WebhookEndpoint]] = field(
        default_factory=_many(WebhookEndpoint, "group_id")
    )
    _unread: dict[int, DataLoader[int, int]] = field(default_factory=dict)

    def unread_for(self, viewer_id: int) -> DataLoader[int, int]:
        """Unread counts as seen by one viewer (the loader is keyed by conversation)."""
        if viewer_id not in self._unread:
            from carepath.schema.types.messaging import unread_counts

            async def load(keys: Sequence[int]) -> list[int]:
                counts = await unread_counts(viewer_id, list(keys))
                return [counts.get(k, 0) for k in keys]

            self._unread[viewer_id] = DataLoader(load_fn=load)
        return self._unread[viewer_id]

    _message_pages: dict[Any, DataLoader[int, list[Message]]] = field(default_factory=dict)

    def messages_in(self, page: Any) -> DataLoader[int, list[Message]]:
        """One page of messages per conversation, all conversations in one statement."""
        if page not in self._message_pages:
            from carepath.schema.message_pages import message_page_loader

            self._message_pages[page] = message_page_loader(page)
        return self._message_pages[page]

    _busy: dict[SlotRange, DataLoader[int, list[tuple[datetime, datetime]]]] = field(
        default_factory=dict
    )

    def busy_in(self, slots: SlotRange) -> DataLoader[int, list[tuple[datetime, datetime]]]:
        """Booked times per provider around one range (a directory asks for many providers)."""
        if slots not in self._busy:

            async def load(keys: Sequence[int]) -> list[list[tuple[datetime, datetime]]]:
                busy = await busy_times(keys, slots)
                return [busy.get(k, []) for k in keys]

            self._busy[slots] = DataLoader(load_fn=load)
        return self._busy[slots]
