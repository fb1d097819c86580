"""Webhook endpoints and their deliveries: an outbox of signed HTTP POSTs (RULES.md "Webhooks")."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from carepath.models.enums import WebhookDeliveryStatus
from carepath.models.practice import Group, Provider


class WebhookEndpoint(Model):
    """Owned by exactly one of a provider and a group (the services enforce it).

    The signing secrets are stored encrypted with a key derived from SECRET_KEY
    (services/webhook_secrets.py): a database dump alone cannot sign.
    """

    id = fields.IntField(primary_key=True)
    provider: fields.ForeignKeyNullableRelation[Provider] = fields.ForeignKeyField(
        "carepath.Provider", related_name="webhook_endpoints", null=True, on_delete=fields.CASCADE
    )
    provider_id: int | None
    group: fields.ForeignKeyNullableRelation[Group] = fields.ForeignKeyField(
        "carepath.Group", related_name="webhook_endpoints", null=True, on_delete=fields.CASCADE
    )
    group_id: int | None
    url = fields.CharField(max_length=2000)
    events: fields.Field[list[str]] = fields.JSONField(default=list)
    enabled = fields.BooleanField(default=True)
    secret_encrypted = fields.CharField(max_length=200)
    previous_secret_encrypted = fields.CharField(max_length=200, null=True)
    secret_rotated_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    failing_since = fields.DatetimeField(
        null=True, description="First failed attempt since the last success (null when healthy)."
    )

    class Meta:
        table = "webhook_endpoints"
        table_description = "Where a provider's or a group's webhook events are sent."


class WebhookDelivery(Model):
    """One event for one endpoint; the worker leases it (`leased_until`) while sending."""

    id = fields.IntField(primary_key=True)
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "carepath.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    endpoint_id: int
    event_id = fields.CharField(max_length=40, db_index=True)
    event_type = fields.CharField(max_length=40)
    payload = fields.TextField()
    status = fields.CharEnumField(
        WebhookDeliveryStatus, max_length=10, default=WebhookDeliveryStatus.PENDING
    )
    attempts = fields.SmallIntField(default=0)
    attempts_allowed = fields.SmallIntField(
        null=True, description="Null: 1 + the retry schedule's length (a redelivery sets it)."
    )
    last_response_status = fields.SmallIntField(null=True)
    last_attempt_at = fields.DatetimeField(null=True)
    next_attempt_at = fields.DatetimeField(null=True)
    leased_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_deliveries"
        table_description = "A webhook event queued for one endpoint, and its attempts."
        indexes = (("status", "next_attempt_at"), ("endpoint_id", "id"))
