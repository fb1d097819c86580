"""Conversations and messages: seen by their two parties only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import strawberry
from tortoise.functions import Count

from carepath.models import Conversation as ConversationModel
from carepath.models import Message as MessageModel
from carepath.schema.access import phi_read
from carepath.schema.context import Info
from carepath.schema.ids import to_global_id
from carepath.schema.loaders import load_existing
from carepath.schema.node import Node
from carepath.schema.pagination import Connection, Ordering, Page, check_page, connection_of
from carepath.schema.prefetch import now_or_later

if TYPE_CHECKING:
    from carepath.schema.types.clients import Client
    from carepath.schema.types.practice import Provider
    from carepath.schema.types.users import User


R = TypeVar("R")


async def unread_counts(viewer_id: int, conversation_ids: list[int]) -> dict[int, int]:
    """Messages to the viewer not yet read, per conversation, in one query."""
    rows = (
        await MessageModel.filter(conversation_id__in=conversation_ids, read_at=None)
        .exclude(sender_id=viewer_id)
        .annotate(unread=Count("id"))
        .group_by("conversation_id")
        .values("conversation_id", "unread")
    )
    return {row["conversation_id"]: row["unread"] for row in rows}


@strawberry.type
class Conversation(Node):
    model: strawberry.Private[ConversationModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("Conversation", self.model.id)

    @strawberry.field
    async def provider(
        self, info: Info
    ) -> Annotated[Provider, strawberry.lazy("carepath.schema.types.practice")]:
        from carepath.schema.types.practice import Provider

        provider = await load_existing(info.context.loaders.provider_by_id, self.model.provider_id)
        return Provider(model=provider)

    @strawberry.field
    async def client(
        self, info: Info
    ) -> Annotated[Client, strawberry.lazy("carepath.schema.types.clients")]:
        from carepath.schema.types.clients import Client

        phi_read(info, "Conversation", self.model.id, self.model.client_id)
        client = await load_existing(info.context.loaders.client_by_id, self.model.client_id)
        return Client(model=client)

    @strawberry.field
    async def messages(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Message]:
        phi_read(info, "Conversation", self.model.id, self.model.client_id)
        page = Page(first, after, last, before)
        check_page(page)
        rows = await info.context.loaders.messages_in(page).load(self.model.id)
        # Its messages' fields ask whose conversation it is: they find it without a load.
        info.context.loaders.conversation_by_id.prime(self.model.id, self.model)
        return connection_of(rows, page, Ordering("id"), lambda m: Message(model=m))

    @strawberry.field(description="Messages to the viewer not yet read.")
    async def unread_count(self, info: Info) -> int:
        phi_read(info, "Conversation", self.model.id, self.model.client_id)
        viewer = info.context.actor.user_id
        assert viewer is not None  # only parties ever get a Conversation
        return await info.context.loaders.unread_for(viewer).load(self.model.id)


@strawberry.type
class Message(Node):
    model: strawberry.Private[MessageModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("Message", self.model.id)

    def _read(self, info: Info, then: Callable[[], R]) -> R:
        """Who wrote what and when, in a client's care: a PHI read (unless theirs), noted
        once the conversation is known (now, on a conversation's page of messages)."""

        def noted(conversation: ConversationModel | None) -> R:
            self._note_read(info, conversation)
            return then()

        loader = info.context.loaders.conversation_by_id
        return now_or_later(loader, self.model.conversation_id, noted)

    def _note_read(self, info: Info, conversation: ConversationModel | None) -> None:
        client_id = conversation.client_id if conversation else None
        phi_read(info, "Message", self.model.id, client_id)

    @strawberry.field
    async def conversation(self, info: Info) -> Conversation:
        loader = info.context.loaders.conversation_by_id
        return Conversation(model=await load_existing(loader, self.model.conversation_id))

    @strawberry.field
    async def sender(
        self, info: Info
    ) -> Annotated[User, strawberry.lazy("carepath.schema.types.users")]:
        from carepath.schema.types.users import User

        loader = info.context.loaders.conversation_by_id
        self._note_read(info, await loader.load(self.model.conversation_id))
        user = await load_existing(info.context.loaders.user_by_id, self.model.sender_id)
        return User(model=user)

    @strawberry.field
    def body(self, info: Info) -> str:
        return self._read(info, lambda: self.model.body)

    @strawberry.field
    def sent_at(self, info: Info) -> datetime:
        return self._read(info, lambda: self.model.sent_at)

    @strawberry.field
    def read_at(self, info: Info) -> datetime | None:
        return self._read(info, lambda: self.model.read_at)
