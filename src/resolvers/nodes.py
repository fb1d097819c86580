"""node(id): every type's own visibility rule; hidden and missing look the same (null)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from carepath.models import Group as GroupModel
from carepath.models import Message as MessageModel
from carepath.resolvers.webhooks import delivery_node, endpoint_node
from carepath.schema.access import can_see_client, facts, phi_refused
from carepath.schema.context import Info
from carepath.schema.ids import parse_global_id
from carepath.schema.node import Node
from carepath.schema.types.clients import Client, ClientLocation
from carepath.schema.types.groups import Group
from carepath.schema.types.messaging import Conversation, Message
from carepath.schema.types.practice import Provider, TelehealthLocation
from carepath.schema.types.scheduling import Appointment
from carepath.schema.types.users import User, can_see_user
from carepath.services import visibility


async def _user(info: Info, pk: int) -> Node | None:
    user = await info.context.loaders.user_by_id.load(pk)
    return User(model=user) if user and await can_see_user(info, user) else None


async def _client(info: Info, pk: int) -> Node | None:
    client = await info.context.loaders.client_by_id.load(pk)
    if client is None:
        return None
    if not await can_see_client(info, client):
        phi_refused(info, "Client", pk, client.id)
        return None
    return Client(model=client)


async def _client_location(info: Info, pk: int) -> Node | None:
    location = await info.context.loaders.location_by_id.load(pk)
    if location is None:
        return None
    client = await info.context.loaders.client_by_id.load(location.client_id)
    if client is None or not await can_see_client(info, client):
        phi_refused(info, "ClientLocation", pk, location.client_id)
        return None
    return ClientLocation(model=location)


async def _provider(info: Info, pk: int) -> Node | None:
    provider = await info.context.loaders.provider_by_id.load(pk)
    if provider is None or not visibility.can_see_provider(await facts(info), provider):
        return None
    return Provider(model=provider)


async def _group(info: Info, pk: int) -> Node | None:
    group: GroupModel | None = await info.context.loaders.group_by_id.load(pk)
    return Group(model=group) if group else None


async def _telehealth_location(info: Info, pk: int) -> Node | None:
    location = await info.context.loaders.telehealth_location_by_id.load(pk)
    if location is None:
        return None
    provider = await info.context.loaders.provider_by_id.load(location.provider_id)
    if provider is None or not visibility.manages_provider(await facts(info), provider):
        return None
    return TelehealthLocation(model=location)


async def _appointment(info: Info, pk: int) -> Node | None:
    appointment = await info.context.loaders.appointment_by_id.load(pk)
    if appointment is None:
        return None
    if not visibility.can_see_appointment(await facts(info), appointment):
        phi_refused(info, "Appointment", pk, appointment.client_id)
        return None
    return Appointment(model=appointment)


async def _conversation(info: Info, pk: int) -> Node | None:
    conversation = await info.context.loaders.conversation_by_id.load(pk)
    if conversation is None:
        return None
    if not visibility.can_see_conversation(await facts(info), conversation):
        phi_refused(info, "Conversation", pk, conversation.client_id)
        return None
    return Conversation(model=conversation)


async def _message(info: Info, pk: int) -> Node | None:
    message = await MessageModel.get_or_none(id=pk)
    if message is None:
        return None
    conversation = await info.context.loaders.conversation_by_id.load(message.conversation_id)
    if conversation is None or not visibility.can_see_conversation(await facts(info), conversation):
        client_id = conversation.client_id if conversation else None
        phi_refused(info, "Message", pk, client_id)
        return None
    return Message(model=message)


NODE_RESOLVERS: dict[str, Callable[[Info, int], Awaitable[Node | None]]] = {
    "User": _user,
    "Client": _client,
    "ClientLocation": _client_location,
    "Provider": _provider,
    "Group": _group,
    "TelehealthLocation": _telehealth_location,
    "Appointment": _appointment,
    "Conversation": _conversation,
    "Message": _message,
    "WebhookEndpoint": endpoint_node,
    "WebhookDelivery": delivery_node,
}


async def resolve_node(info: Info, global_id: str) -> Node | None:
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] not in NODE_RESOLVERS:
        return None
    type_name, pk = parsed
    return await NODE_RESOLVERS[type_name](info, pk)
