"""Subscriptions over graphql-transport-ws: each event re-checked against the subscriber.

The bus only says "something new": the subscriber's copy is read from the database with
its own visibility rules. A revoked, expired or idle-timed-out session closes the socket,
and the stream with it (schema/socket_session.py).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from carepath.events.bus import Event, interrupted
from carepath.models import Appointment as AppointmentModel
from carepath.models import Conversation as ConversationModel
from carepath.models import Message as MessageModel
from carepath.schema.context import Info
from carepath.schema.errors import EVENTS_INTERRUPTED, CodedError, bad_user_input, unauthenticated
from carepath.schema.ids import pk_of
from carepath.schema.loaders import Loaders
from carepath.schema.types.messaging import Message
from carepath.schema.types.scheduling import Appointment
from carepath.services import visibility
from carepath.services.errors import RuleViolation
from carepath.services.messaging import visible_conversation

CATCH_UP_MESSAGES = "messages(after:) on your conversations"
CATCH_UP_SESSIONS = "appointments"


def events_interrupted(catch_up: str) -> CodedError:
    """The stream ends: events may have been missed, and the database has them all."""
    return CodedError(
        EVENTS_INTERRUPTED,
        f"Live events were interrupted and some may have been missed: subscribe again, "
        f"then catch up with {catch_up}.",
    )


async def _events(info: Info, kind: str, catch_up: str) -> AsyncGenerator[Event, None]:
    """The subscriber's events of one kind, each with fresh loaders and actor facts.

    The session needs no check here: the socket re-checks it before every operation and
    closes (ending this stream) when it is revoked, expires or idles out. Without a
    socket there is nothing to keep the session honest, so nothing streams. When the bus
    may have missed events (Redis lost, or the subscriber fell behind), the stream ends
    with an EVENTS_INTERRUPTED error rather than go silently incomplete.
    """
    actor = info.context.actor
    if actor.user is None or info.context.socket is None:
        raise unauthenticated()
    async with info.context.bus.listen([f"user:{actor.user.id}"]) as queue:
        while True:
            event = await queue.get()
            if interrupted(event):
                raise events_interrupted(catch_up)
            if event.get("type") == kind:
                # A subscription outlives what it cached: visibility is decided anew.
                info.context.loaders = Loaders()
                actor.forget_facts()
                yield event


async def _visible_conversation(info: Info, conversation_id: str) -> int:
    """The subscriber's own conversation; any other id is refused before listening."""
    viewer = await info.context.actor.facts()
    try:
        conversation = await visible_conversation(viewer, pk_of(conversation_id, "Conversation"))
    except RuleViolation as violation:
        raise bad_user_input("No conversation with that id.") from violation
    return conversation.id


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Messages sent to the signed-in user, in one conversation or all of theirs."
    )
    async def message_received(
        self, info: Info, conversation_id: strawberry.ID | None = None
    ) -> AsyncGenerator[Message, None]:
        wanted = await _visible_conversation(info, conversation_id) if conversation_id else None
        async for event in _events(info, "message", CATCH_UP_MESSAGES):
            if wanted is not None and event.get("conversation_id") != wanted:
                continue
            message = await MessageModel.get_or_none(id=event.get("message_id"))
            if message is None or message.sender_id == info.context.actor.user_id:
                continue
            conversation = await ConversationModel.get(id=message.conversation_id)
            if visibility.can_see_conversation(await info.context.actor.facts(), conversation):
                yield Message(model=message)

    @strawberry.subscription(
        description="Sessions confirmed that the signed-in user may see: a client's own, a "
        "provider's own, every provider's of a group one administers."
    )
    async def session_confirmed(self, info: Info) -> AsyncGenerator[Appointment, None]:
        async for event in _events(info, "session_confirmed", CATCH_UP_SESSIONS):
            appointment = await AppointmentModel.get_or_none(id=event.get("appointment_id"))
            facts = await info.context.actor.facts()
            if appointment is not None and visibility.can_see_appointment(facts, appointment):
                yield Appointment(model=appointment)
