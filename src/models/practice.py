"""Providers, their licensing and credentialing, telehealth, and group practices."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from carepath.models.accounts import User
from carepath.models.enums import (
    CredentialingStatus,
    GroupRole,
    IntakeMode,
    ProviderStatus,
    RemovalStatus,
    UsState,
    VerificationStatus,
)


class Group(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "carepath.User", related_name="owned_groups", on_delete=fields.RESTRICT
    )
    owner_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "groups"


class GroupMembership(Model):
    """An owner or admin of a group: the owner has a row too, so one query finds every admin."""

    id = fields.IntField(primary_key=True)
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "carepath.Group", related_name="memberships", on_delete=fields.CASCADE
    )
    group_id: int
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "carepath.User", related_name="group_memberships", on_delete=fields.CASCADE
    )
    user_id: int
    role = fields.CharEnumField(GroupRole, max_length=10)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "group_memberships"
        unique_together = (("group", "user"),)


class Provider(Model):
    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "carepath.User", related_name="provider_profile", on_delete=fields.CASCADE
    )
    user_id: int
    display_name = fields.CharField(max_length=200)
    bio = fields.TextField(null=True)
    booking_slug = fields.CharField(max_length=80, unique=True)
    intake_mode = fields.CharEnumField(IntakeMode, max_length=20)
    offers_telehealth = fields.BooleanField(default=True)
    offers_in_person = fields.BooleanField(default=False)
    time_zone = fields.CharField(max_length=64)
    office_state = fields.CharEnumField(UsState, max_length=2, null=True)
    status = fields.CharEnumField(ProviderStatus, max_length=20, default=ProviderStatus.ACTIVE)
    group: fields.ForeignKeyNullableRelation[Group] = fields.ForeignKeyField(
        "carepath.Group", related_name="providers", null=True, on_delete=fields.SET_NULL
    )
    group_id: int | None
    calendar_secret = fields.CharField(max_length=64, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "providers"


class License(Model):
    id = fields.IntField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "carepath.Provider", related_name="licenses", on_delete=fields.CASCADE
    )
    provider_id: int
    state = fields.CharEnumField(UsState, max_length=2)
    number = fields.CharField(max_length=64)
    status = fields.CharEnumField(
        VerificationStatus, max_length=10, default=VerificationStatus.PENDING
    )
    reviewed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "licenses"
        unique_together = (("provider", "state", "number"),)


class Credential(Model):
    id = fields.IntField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "carepath.Provider", related_name="credentials", on_delete=fields.CASCADE
    )
    provider_id: int
    state = fields.CharEnumField(UsState, max_length=2)
    status = fields.CharEnumField(
        CredentialingStatus, max_length=12, default=CredentialingStatus.IN_PROGRESS
    )
    completed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "credentials"
        unique_together = (("provider", "state"),)


class AvailabilityWindow(Model):
    """A weekly window in the provider's time zone, in minutes since local midnight."""

    id = fields.IntField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "carepath.Provider", related_name="availability_windows", on_delete=fields.CASCADE
    )
    provider_id: int
    weekday = fields.SmallIntField()
    start_minute = fields.SmallIntField()
    end_minute = fields.SmallIntField()

    class Meta:
        table = "availability_windows"


class TelehealthLocation(Model):
    id = fields.IntField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "carepath.Provider", related_name="telehealth_locations", on_delete=fields.CASCADE
    )
    provider_id: int
    name = fields.CharField(max_length=120)
    url = fields.CharField(max_length=2048)
    instructions = fields.TextField(null=True)
    is_default = fields.BooleanField(default=False)
    hipaa_compliant = fields.BooleanField()
    baa_signed = fields.BooleanField()
    waiting_room_enabled = fields.BooleanField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "telehealth_locations"


class ProviderRemovalRequest(Model):
    id = fields.IntField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "carepath.Provider", related_name="removal_requests", on_delete=fields.CASCADE
    )
    provider_id: int
    group: fields.ForeignKeyRelation[Group] = fields.ForeignKeyField(
        "carepath.Group", related_name="removal_requests", on_delete=fields.CASCADE
    )
    group_id: int
    requested_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "carepath.User", related_name="removal_requests", on_delete=fields.RESTRICT
    )
    requested_by_id: int
    requested_at = fields.DatetimeField(auto_now_add=True)
    status = fields.CharEnumField(RemovalStatus, max_length=10, default=RemovalStatus.PENDING)
    completed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "provider_removal_requests"
