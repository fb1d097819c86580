"""Conversations between a client and a provider, and their messages."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from carepath.models.accounts import User
from carepath.models.clients import Client
from carepath.models.practice import Provider


class Conversation(Model):
    """One per client-provider pair: the `*_notified` flags keep new-message mail to one."""

    id = fields.IntField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "carepath.Provider", related_name="conversations", on_delete=fields.RESTRICT
    )
    provider_id: int
    client: fields.ForeignKeyRelation[Client] = fields.ForeignKeyField(
        "carepath.Client", related_name="conversations", on_delete=fields.RESTRICT
    )
    client_id: int
    last_message_at = fields.DatetimeField()
    client_notified = fields.BooleanField(default=False)
    provider_notified = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "conversations"
        unique_together = (("provider", "client"),)


class Message(Model):
    id = fields.IntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "carepath.Conversation", related_name="messages", on_delete=fields.CASCADE
    )
    conversation_id: int
    sender: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "carepath.User", related_name="sent_messages", on_delete=fields.RESTRICT
    )
    sender_id: int
    body = fields.TextField()
    sent_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)

    class Meta:
        table = "messages"
        indexes = (("conversation_id", "id"),)
