"""Webhook events, written as deliveries inside the caller's transaction (the outbox pattern).

Each change site calls one function here right after its own writes: a refused or
rolled-back change leaves no delivery, and a committed one is never lost. A body carries
ids (as the API shows them), kinds, states and times only: never a name, email, message
body, cancellation reason, location, telehealth link or insurance.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q

from carepath.clock import utcnow
from carepath.models import (
    Appointment,
    Conversation,
    Message,
    Provider,
    WebhookDelivery,
    WebhookEndpoint,
)
from carepath.models.enums import WebhookDeliveryStatus, WebhookEventType

Event = WebhookEventType


def global_id(type_name: str, pk: int | None) -> str | None:
    """The API's global id (schema/ids.py `to_global_id`), without importing strawberry."""
    if pk is None:
        return None
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def iso(moment: datetime) -> str:
    """ISO-8601 in UTC, as the API's DateTime shows it."""
    return moment.astimezone(UTC).isoformat()


def appointment_data(appointment: Appointment) -> dict[str, Any]:
    return {
        "appointmentId": global_id("Appointment", appointment.id),
        "providerId": global_id("Provider", appointment.provider_id),
        "clientId": global_id("Client", appointment.client_id),
        "groupId": global_id("Group", appointment.group_id),
        "kind": str(appointment.kind),
        "modality": str(appointment.modality),
        "status": str(appointment.status),
        "startsAt": iso(appointment.starts_at),
        "endsAt": iso(appointment.ends_at),
        "seriesId": global_id("AppointmentSeries", appointment.series_id),
    }


async def subscribed(
    event: Event, provider_ids: Iterable[int], group_id: int | None
) -> list[WebhookEndpoint]:
    """Enabled endpoints of these providers (and of the group, never for messages)."""
    owners = Q(provider_id__in=sorted(set(provider_ids)))
    if group_id is not None and event != Event.MESSAGE_SENT:
        owners |= Q(group_id=group_id)
    endpoints = await WebhookEndpoint.filter(owners, enabled=True).order_by("id")
    return [e for e in endpoints if event.value in e.events]


async def emit(
    event: Event, data: dict[str, Any], provider_ids: Iterable[int], group_id: int | None
) -> list[WebhookDelivery]:
    """One delivery per subscribed endpoint, all with one event id; inside the caller's
    transaction, so they exist only if the change commits."""
    return await _write(event, data, await subscribed(event, provider_ids, group_id))


async def _write(
    event: Event, data: dict[str, Any], endpoints: Sequence[WebhookEndpoint]
) -> list[WebhookDelivery]:
    if not endpoints:
        return []
    now = utcnow()
    body = json.dumps({"type": event.value, "timestamp": iso(now), "data": data})
    event_id = "evt_" + uuid.uuid4().hex
    rows = [
        WebhookDelivery(
            endpoint_id=endpoint.id,
            event_id=event_id,
            event_type=event.value,
            payload=body,
            status=WebhookDeliveryStatus.PENDING,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    ]
    await WebhookDelivery.bulk_create(rows)
    return rows


async def appointments(event: Event, booked: Sequence[Appointment]) -> None:
    """One event per appointment (each occurrence of a series has its own)."""
    by_owner: dict[tuple[int, int | None], list[WebhookEndpoint]] = {}
    for appointment in booked:
        owner = (appointment.provider_id, appointment.group_id)
        if owner not in by_owner:
            by_owner[owner] = await subscribed(event, [owner[0]], owner[1])
        await _write(event, appointment_data(appointment), by_owner[owner])


async def appointment_rescheduled(
    appointment: Appointment, starts_at: datetime, ends_at: datetime
) -> None:
    """Called with the appointment as it was and its new times."""
    data = appointment_data(appointment)
    data.update(startsAt=iso(starts_at), endsAt=iso(ends_at))
    data["previousStartsAt"] = iso(appointment.starts_at)
    await emit(Event.APPOINTMENT_RESCHEDULED, data, [appointment.provider_id], appointment.group_id)


async def session_confirmed(appointment: Appointment) -> None:
    data = appointment_data(appointment)
    billing = appointment.billing_type
    data["billingType"] = str(billing) if billing is not None else None
    await emit(Event.SESSION_CONFIRMED, data, [appointment.provider_id], appointment.group_id)


async def message_sent(conversation: Conversation, message: Message, by_provider: bool) -> None:
    """The provider's endpoints only: group admins never read messages."""
    data = {
        "conversationId": global_id("Conversation", conversation.id),
        "messageId": global_id("Message", message.id),
        "providerId": global_id("Provider", conversation.provider_id),
        "clientId": global_id("Client", conversation.client_id),
        "senderRole": "PROVIDER" if by_provider else "CLIENT",
    }
    await emit(Event.MESSAGE_SENT, data, [conversation.provider_id], None)


async def client_transferred(client_id: int, source: Provider, target: Provider) -> None:
    """Both providers' endpoints and their group's."""
    data = {
        "clientId": global_id("Client", client_id),
        "fromProviderId": global_id("Provider", source.id),
        "toProviderId": global_id("Provider", target.id),
        "groupId": global_id("Group", target.group_id),
    }
    await emit(Event.CLIENT_TRANSFERRED, data, [source.id, target.id], target.group_id)


async def appointments_booked(booked: Sequence[Appointment]) -> None:
    await appointments(Event.APPOINTMENT_BOOKED, booked)


async def appointment_cancelled(appointment: Appointment) -> None:
    await appointments(Event.APPOINTMENT_CANCELLED, [appointment])
