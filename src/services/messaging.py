"""Messages between a client and a provider once care has started (RULES.md "Messages")."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from carepath.clock import utcnow
from carepath.events.bus import Publish
from carepath.models import Appointment, Client, Conversation, Message, Provider, User
from carepath.notifications import emails, outbox
from carepath.services import visibility, webhook_events
from carepath.services.actor import Actor, ActorFacts
from carepath.services.errors import ErrorCode, RuleViolation, not_found, validation
from carepath.services.guards import visible_client
from carepath.services.rows import get_or_insert
from carepath.settings import Settings

BODY_MAX = 5000


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to: a conversation, or the other party of a would-be one."""

    conversation_id: int | None = None
    provider_id: int | None = None
    client_id: int | None = None
    given: int = 0  # how many of the three the caller filled in, valid ids or not
    field: str = "conversationId"  # the input field the caller filled in, for errors


def check_body(body: str) -> str:
    """Plain text, stored exactly as sent."""
    if not body or not body.strip():
        raise validation("body", "Write a message.")
    if len(body) > BODY_MAX:
        raise validation("body", f"A message is at most {BODY_MAX} characters.")
    return body


async def _pair(actor: Actor, to: Recipient) -> tuple[Provider, Client]:
    """The (provider, client) pair the caller belongs to and writes to."""
    facts = await actor.facts()
    if to.given != 1:
        raise validation(
            "conversationId", "Give exactly one of conversationId, providerId, clientId."
        )
    if to.conversation_id is not None:
        conversation = await visible_conversation(facts, to.conversation_id)
        return await Provider.get(id=conversation.provider_id), await Client.get(
            id=conversation.client_id
        )
    if to.provider_id is not None and facts.client_id is not None:
        provider = await Provider.get_or_none(id=to.provider_id)
        if provider is not None and (
            visibility.can_see_provider(facts, provider)
            or await _cared(provider.id, facts.client_id)
        ):
            return provider, await Client.get(id=facts.client_id)
        raise not_found("provider", "providerId")
    if to.client_id is not None and facts.provider_id is not None:
        if await _cared(facts.provider_id, to.client_id):
            client = await Client.get(id=to.client_id)
        else:  # seen on the roster, say: then NO_CARE_RELATIONSHIP, not NOT_FOUND
            client = await visible_client(actor, to.client_id, "clientId")
        return await Provider.get(id=facts.provider_id), client
    raise not_found("recipient", to.field)


async def visible_conversation(facts: ActorFacts, conversation_id: int | None) -> Conversation:
    """One of the caller's own conversations; any other id is NOT_FOUND."""
    conversation = await Conversation.get_or_none(id=conversation_id) if conversation_id else None
    if conversation is None or not visibility.can_see_conversation(facts, conversation):
        raise not_found("conversation", "conversationId")
    return conversation


async def _cared(provider_id: int, client_id: int) -> bool:
    """A consultation or session was scheduled between them (even if later cancelled)."""
    return await Appointment.filter(provider_id=provider_id, client_id=client_id).exists()


async def send_message(
    actor: Actor, settings: Settings, publish: Publish, to: Recipient, body: str
) -> Message:
    sender = actor.require_user()
    provider, client = await _pair(actor, to)
    text = check_body(body)
    if not await _cared(provider.id, client.id):
        raise RuleViolation(
            ErrorCode.NO_CARE_RELATIONSHIP,
            "Messages open once a consultation or session has been scheduled between you.",
        )
    provider_side = sender.id == provider.user_id
    recipient = await User.get(id=client.user_id if provider_side else provider.user_id)
    async with in_transaction():  # the first message opens the conversation, or neither
        conversation = await _conversation(provider.id, client.id)
        message = await Message.create(
            conversation_id=conversation.id, sender_id=sender.id, body=text
        )
        flag = "client_notified" if provider_side else "provider_notified"
        await Conversation.filter(id=conversation.id).update(last_message_at=message.sent_at)
        first_notice = await Conversation.filter(id=conversation.id, **{flag: False}).update(
            **{flag: True}
        )
        if first_notice:
            sender_name = provider.display_name if provider_side else sender.full_name
            link = f"{settings.public_base_url}/messages"
            await outbox.enqueue(
                emails.message_waiting_email(
                    recipient.email, recipient.full_name, sender_name, link
                )
            )
        await webhook_events.message_sent(conversation, message, provider_side)
    event = {"type": "message", "message_id": message.id, "conversation_id": conversation.id}
    await publish(f"user:{recipient.id}", event)
    return message


async def _conversation(provider_id: int, client_id: int) -> Conversation:
    """The pair's one conversation; the first message opens it."""
    return await get_or_insert(
        Conversation,
        defaults={"last_message_at": utcnow()},
        provider_id=provider_id,
        client_id=client_id,
    )


async def mark_read(actor: Actor, conversation_id: int | None) -> Conversation:
    """Marks the messages to the caller read; the next message mails them again."""
    user = actor.require_user()
    facts = await actor.facts()
    conversation = await visible_conversation(facts, conversation_id)
    async with in_transaction():
        flag = (
            "client_notified" if conversation.client_id == facts.client_id else "provider_notified"
        )
        # The flag first: its row lock orders this with a concurrent send (which updates
        # the same row), so a message sent meanwhile is either marked read here or mails
        # the reader again, never left unread with the flag cleared.
        await Conversation.filter(id=conversation.id).update(**{flag: False})
        await (
            Message.filter(conversation_id=conversation.id, read_at=None)
            .exclude(sender_id=user.id)
            .update(read_at=utcnow())
        )
    return conversation


def conversations_of(facts: ActorFacts) -> QuerySet[Conversation]:
    """The caller's conversations as a client or as a provider: never anyone else's."""
    mine = Q(id=-1)
    if facts.client_id is not None:
        mine |= Q(client_id=facts.client_id)
    if facts.provider_id is not None:
        mine |= Q(provider_id=facts.provider_id)
    return Conversation.filter(mine)
