"""Accounts, their sessions and one-time tokens, and the audit trail."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from carepath.models.enums import PhiAccessOutcome, TokenPurpose


class User(Model):
    """An account. `email_key` is the lower-cased email: unique, so case-insensitively unique."""

    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254)
    email_key = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    full_name = fields.CharField(max_length=200)
    email_verified_at = fields.DatetimeField(null=True)
    is_staff = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class AuthSession(Model):
    """A bearer-token session: only the token's keyed hash is stored."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "carepath.User", related_name="sessions", on_delete=fields.CASCADE
    )
    user_id: int
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "auth_sessions"


class AccountToken(Model):
    """A single-use email verification or password reset token, stored hashed."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "carepath.User", related_name="account_tokens", on_delete=fields.CASCADE
    )
    user_id: int
    purpose = fields.CharEnumField(TokenPurpose, max_length=20)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_tokens"


class AuditEvent(Model):
    """Who did what to which object: never holds PHI, tokens or message bodies."""

    id = fields.IntField(primary_key=True)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "carepath.User", related_name="audit_events", null=True, on_delete=fields.SET_NULL
    )
    actor_id: int | None
    action = fields.CharField(max_length=64)
    object_type = fields.CharField(max_length=64)
    object_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_events"


class PhiAccessEvent(Model):
    """A read of a client's PHI by someone else, or a refused access: never the PHI itself.

    HIPAA's audit controls: who (and in which roles), what (type and id), the outcome,
    when, in which request and operation. Append-only: database triggers refuse UPDATE,
    DELETE and TRUNCATE (migration 0004). Ids are plain columns, not foreign keys: the log
    outlives accounts and objects, and a cascade would be an update the triggers refuse.
    """

    id = fields.BigIntField(primary_key=True)
    occurred_at = fields.DatetimeField(db_index=True)
    actor_id = fields.IntField(null=True, db_index=True)
    actor_roles = fields.CharField(
        max_length=64, description="Comma-separated roles, or ANONYMOUS."
    )
    action = fields.CharField(max_length=64, description="`read`, or the refused mutation.")
    object_type = fields.CharField(max_length=32)
    object_id = fields.BigIntField(null=True)
    client_id = fields.IntField(null=True, db_index=True, description="Whose PHI it is.")
    outcome = fields.CharEnumField(PhiAccessOutcome, max_length=8)
    request_id = fields.CharField(max_length=32, db_index=True)
    operation_name = fields.CharField(max_length=100, null=True)

    class Meta:
        table = "phi_access_events"
