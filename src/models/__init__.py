"""Tortoise models, a module per domain; the constraints live here and in the migrations."""

from carepath.models.accounts import AccountToken, AuditEvent, AuthSession, PhiAccessEvent, User
from carepath.models.clients import (
    Client,
    ClientLocation,
    Insurance,
    RosterEntry,
    RosterInvitation,
)
from carepath.models.messaging import Conversation, Message
from carepath.models.outbox import OutboxEmail
from carepath.models.practice import (
    AvailabilityWindow,
    Credential,
    Group,
    GroupMembership,
    License,
    Provider,
    ProviderRemovalRequest,
    TelehealthLocation,
)
from carepath.models.scheduling import Appointment, AppointmentSeries, Payout
from carepath.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "AccountToken",
    "Appointment",
    "AppointmentSeries",
    "AuditEvent",
    "AuthSession",
    "AvailabilityWindow",
    "Client",
    "ClientLocation",
    "Conversation",
    "Credential",
    "Group",
    "GroupMembership",
    "Insurance",
    "License",
    "Message",
    "OutboxEmail",
    "Payout",
    "PhiAccessEvent",
    "Provider",
    "ProviderRemovalRequest",
    "RosterEntry",
    "RosterInvitation",
    "TelehealthLocation",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
]
