"""Mutation payloads: the changed object (null on refusal) and `errors`."""

from __future__ import annotations

from datetime import datetime

import strawberry

from carepath.schema.errors import UserError
from carepath.schema.types.clients import Client, ClientLocation
from carepath.schema.types.groups import Group
from carepath.schema.types.operations import Payout, ProviderRemovalRequest
from carepath.schema.types.practice import (
    Credential,
    License,
    Provider,
    TelehealthLocation,
)
from carepath.schema.types.scheduling import Appointment
from carepath.schema.types.users import User


@strawberry.type
class AuthPayload:
    user: User | None = None
    token: str | None = strawberry.field(
        default=None, description="Bearer token; null when errors is not empty."
    )
    expires_at: datetime | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UserPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OkPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ProviderPayload:
    provider: Provider | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LicensePayload:
    license: License | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CredentialPayload:
    credential: Credential | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TelehealthLocationPayload:
    telehealth_location: TelehealthLocation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CalendarFeedPayload:
    calendar_feed_url: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class GroupPayload:
    group: Group | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RosterPayload:
    provider: Provider | None = None
    client: Client | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ClientPayload:
    client: Client | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ClientLocationPayload:
    client_location: ClientLocation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RemovalRequestPayload:
    removal_request: ProviderRemovalRequest | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PayoutsPayload:
    payouts: list[Payout] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AppointmentPayload:
    appointment: Appointment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AppointmentsPayload:
    appointments: list[Appointment] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)
