"""Clients (the patient portal side), their insurance, locations and provider rosters."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from carepath.models.accounts import User
from carepath.models.enums import RosterStatus, UsState
from carepath.models.practice import Provider


class Client(Model):
    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "carepath.User", related_name="client_profile", on_delete=fields.CASCADE
    )
    user_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "clients"


class Insurance(Model):
    id = fields.IntField(primary_key=True)
    client: fields.OneToOneRelation[Client] = fields.OneToOneField(
        "carepath.Client", related_name="insurance", on_delete=fields.CASCADE
    )
    client_id: int
    payer_name = fields.CharField(max_length=200)
    in_network = fields.BooleanField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "insurances"


class ClientLocation(Model):
    """Where a client joins virtual sessions from (a US state)."""

    id = fields.IntField(primary_key=True)
    client: fields.ForeignKeyRelation[Client] = fields.ForeignKeyField(
        "carepath.Client", related_name="locations", on_delete=fields.CASCADE
    )
    client_id: int
    state = fields.CharEnumField(UsState, max_length=2)
    label = fields.CharField(max_length=120, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "client_locations"


class RosterEntry(Model):
    id = fields.IntField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "carepath.Provider", related_name="roster_entries", on_delete=fields.CASCADE
    )
    provider_id: int
    client: fields.ForeignKeyRelation[Client] = fields.ForeignKeyField(
        "carepath.Client", related_name="roster_entries", on_delete=fields.CASCADE
    )
    client_id: int
    status = fields.CharEnumField(RosterStatus, max_length=10, default=RosterStatus.ACTIVE)
    added_at = fields.DatetimeField(auto_now_add=True)
    archived_at = fields.DatetimeField(null=True)

    class Meta:
        table = "roster_entries"
        unique_together = (("provider", "client"),)


class RosterInvitation(Model):
    """A provider's pending invitation of a client to their roster, awaiting the answer.

    Not a roster entry: the provider sees nothing of the client until they accept.
    """

    id = fields.IntField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "carepath.Provider", related_name="roster_invitations", on_delete=fields.CASCADE
    )
    provider_id: int
    client: fields.ForeignKeyRelation[Client] = fields.ForeignKeyField(
        "carepath.Client", related_name="roster_invitations", on_delete=fields.CASCADE
    )
    client_id: int
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "roster_invitations"
        unique_together = (("provider", "client"),)
