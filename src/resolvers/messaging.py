"""Conversations and messages: the viewer's list, sending, marking read."""

from __future__ import annotations

import strawberry

from carepath.resolvers.common import attempt
from carepath.schema.access import deny, facts
from carepath.schema.context import Info
from carepath.schema.errors import UserError
from carepath.schema.ids import pk_of
from carepath.schema.pagination import Connection, Ordering, Page, paginate
from carepath.schema.types.messaging import Conversation, Message
from carepath.services import messaging
from carepath.services.messaging import Recipient


@strawberry.input
class SendMessageInput:
    conversation_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Either the conversation, or the other party: a providerId (for a client) "
        "or a clientId (for a provider).",
    )
    provider_id: strawberry.ID | None = None
    client_id: strawberry.ID | None = None
    body: str


@strawberry.input
class MarkConversationReadInput:
    conversation_id: strawberry.ID


@strawberry.type
class MessagePayload:
    message: Message | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConversationPayload:
    conversation: Conversation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MessagingQuery:
    @strawberry.field(description="The viewer's conversations, newest activity first.")
    async def conversations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Conversation]:
        if info.context.actor.is_anonymous:
            deny(info)  # messages are PHI: sign in first
        return await paginate(
            messaging.conversations_of(await facts(info)),
            Page(first, after, last, before),
            Ordering("last_message_at", descending=True),
            lambda c: Conversation(model=c),
        )


@strawberry.type
class MessagingMutations:
    @strawberry.mutation
    async def send_message(self, info: Info, input: SendMessageInput) -> MessagePayload:
        given = [
            name
            for name, value in (
                ("conversationId", input.conversation_id),
                ("providerId", input.provider_id),
                ("clientId", input.client_id),
            )
            if value is not None
        ]
        recipient = Recipient(
            conversation_id=pk_of(input.conversation_id, "Conversation"),
            provider_id=pk_of(input.provider_id, "Provider"),
            client_id=pk_of(input.client_id, "Client"),
            given=len(given),
            field=given[0] if given else "conversationId",
        )
        call = messaging.send_message(
            info.context.actor,
            info.context.settings,
            info.context.bus.publish,
            recipient,
            input.body,
        )
        message, errors = await attempt(info, call)
        return MessagePayload(message=Message(model=message) if message else None, errors=errors)

    @strawberry.mutation
    async def mark_conversation_read(
        self, info: Info, input: MarkConversationReadInput
    ) -> ConversationPayload:
        call = messaging.mark_read(info.context.actor, pk_of(input.conversation_id, "Conversation"))
        conversation, errors = await attempt(info, call)
        return ConversationPayload(
            conversation=Conversation(model=conversation) if conversation else None, errors=errors
        )
