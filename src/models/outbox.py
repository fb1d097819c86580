"""Outgoing email, written in the transaction of the change that causes it."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from carepath.models.enums import OutboxStatus
from carepath.models.scheduling import Appointment


class OutboxEmail(Model):
    """One email to one recipient: `send_after` lets reminders wait in the same table."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=40)
    to_address = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=250)
    body_text = fields.TextField()
    attachments: fields.Field[list[dict[str, str]]] = fields.JSONField(default=list)
    appointment: fields.ForeignKeyNullableRelation[Appointment] = fields.ForeignKeyField(
        "carepath.Appointment", related_name="emails", null=True, on_delete=fields.CASCADE
    )
    appointment_id: int | None
    status = fields.CharEnumField(OutboxStatus, max_length=10, default=OutboxStatus.PENDING)
    send_after = fields.DatetimeField()
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_emails"
        indexes = (("status", "next_attempt_at"),)
