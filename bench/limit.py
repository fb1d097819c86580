"""The limit: a bare strawberry app answering the bench's read documents with the same
shapes, from memory (rows read once at start; no database, auth or rules per request),
with the parser and validation caches on. Run: python -m bench.limit PORT"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import os
import sys
from datetime import datetime
from typing import Any, Generic, TypeVar

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache
from tortoise import Tortoise

from carepath.db import tortoise_config
from carepath.models import Appointment as AppointmentRow
from carepath.models import Client as ClientRow
from carepath.models import License as LicenseRow
from carepath.models import Message as MessageRow
from carepath.models import Provider as ProviderRow
from carepath.models import RosterEntry
from carepath.models import TelehealthLocation as TelehealthRow
from carepath.models import User as UserRow
from carepath.models.enums import Role, VerificationStatus
from carepath.schema import enums as _enums
from carepath.schema.ids import to_global_id

T = TypeVar("T")
DATA: dict[str, Any] = {}


def cursor(value: Any, pk: int) -> str:
    raw = json.dumps([value.isoformat() if isinstance(value, datetime) else value, pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


def page(rows: list[dict[str, Any]], wrap: Any, size: int, column: str = "id") -> Connection[Any]:
    chosen = rows[:size]
    edges = [Edge(node=wrap(r), cursor=cursor(r[column], r["id"])) for r in chosen]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > size,
            has_previous_page=False,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


@strawberry.type
class License:
    state: _enums.UsState  # type: ignore[valid-type]
    status: _enums.VerificationStatus  # type: ignore[valid-type]


@strawberry.type
class Client:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Client", self.row["id"]))

    @strawberry.field
    def full_name(self) -> str:
        return str(DATA["users"][self.row["user_id"]]["full_name"])

    @strawberry.field
    def email(self) -> str:
        return str(DATA["users"][self.row["user_id"]]["email"])


@strawberry.type
class Appointment:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Appointment", self.row["id"]))

    @strawberry.field
    def starts_at(self) -> datetime:
        return self.row["starts_at"]  # type: ignore[no-any-return]

    @strawberry.field
    def status(self) -> _enums.AppointmentStatus:  # type: ignore[valid-type]
        return self.row["status"]

    @strawberry.field
    def client(self) -> Client:
        return Client(row=DATA["clients"][self.row["client_id"]])

    @strawberry.field
    def telehealth_link(self) -> str | None:
        return str(DATA["links"][self.row["provider_id"]])


@strawberry.type
class Provider:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Provider", self.row["id"]))

    @strawberry.field
    def display_name(self) -> str:
        return str(self.row["display_name"])

    @strawberry.field
    def licenses(self) -> list[License]:
        return [
            License(state=r["state"], status=r["status"])
            for r in DATA["licenses"].get(self.row["id"], [])
        ]

    @strawberry.field
    def appointments(self, first: int | None = None) -> Connection[Appointment]:
        rows = DATA["appointments"].get(self.row["id"], [])
        return page(rows, lambda r: Appointment(row=r), first or 100, "starts_at")

    @strawberry.field
    def clients(self, first: int | None = None) -> Connection[Client]:
        rows = DATA["rosters"].get(self.row["id"], [])
        return page(rows, lambda r: Client(row=r), first or 100)


@strawberry.type
class Message:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Message", self.row["id"]))

    @strawberry.field
    def body(self) -> str:
        return str(self.row["body"])

    @strawberry.field
    def sent_at(self) -> datetime:
        return self.row["sent_at"]  # type: ignore[no-any-return]


@strawberry.type
class Conversation:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Conversation", self.row["id"]))

    @strawberry.field
    def messages(self, last: int | None = None) -> Connection[Message]:
        rows = DATA["messages"].get(self.row["id"], [])
        return page(rows[-(last or 100) :], lambda r: Message(row=r), last or 100)


@strawberry.type
class User:
    row: strawberry.Private[dict[str, Any]]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("User", self.row["id"]))

    @strawberry.field
    def email(self) -> str:
        return str(self.row["email"])

    @strawberry.field
    def roles(self) -> list[_enums.Role]:  # type: ignore[valid-type]
        return [Role.PROVIDER]

    @strawberry.field
    def provider_profile(self) -> Provider | None:
        return Provider(row=DATA["providers"][0])


@strawberry.type
class Query:
    @strawberry.field
    def me(self) -> User:
        return User(row=DATA["users"][1])

    @strawberry.field
    def providers(self, first: int | None = None) -> Connection[Provider]:
        return page(DATA["providers"], lambda r: Provider(row=r), first or 100)

    @strawberry.field
    def conversations(self, first: int | None = None) -> Connection[Conversation]:
        return page(
            DATA["conversations"], lambda r: Conversation(row=r), first or 100, "last_message_at"
        )


schema = strawberry.Schema(
    query=Query,
    extensions=[lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)],
)


def grouped(rows: list[dict[str, Any]], key: str) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row[key], []).append(row)
    return out


async def load(database_url: str) -> None:
    """Everything the documents touch, read once."""
    await Tortoise.init(config=tortoise_config(database_url))
    users = await UserRow.all().values("id", "email", "full_name")
    DATA["users"] = {u["id"]: u for u in users}
    DATA["providers"] = await ProviderRow.all().order_by("id").values("id", "display_name")
    verified = LicenseRow.filter(status=VerificationStatus.VERIFIED).order_by("state", "id")
    DATA["licenses"] = grouped(
        await verified.values("provider_id", "state", "status"), "provider_id"
    )
    clients = await ClientRow.all().values("id", "user_id")
    DATA["clients"] = {c["id"]: c for c in clients}
    roster = await RosterEntry.filter(provider_id=1).order_by("client_id").values("client_id")
    DATA["rosters"] = {1: [DATA["clients"][r["client_id"]] for r in roster]}
    appointments = AppointmentRow.filter(provider_id=1).order_by("starts_at", "id")
    DATA["appointments"] = grouped(
        await appointments.values("id", "provider_id", "client_id", "starts_at", "status"),
        "provider_id",
    )
    links = await TelehealthRow.filter(is_default=True).values("provider_id", "url")
    DATA["links"] = {r["provider_id"]: r["url"] for r in links}
    from carepath.models import Conversation as ConversationRow

    conversations = ConversationRow.filter(provider_id=1).order_by("-last_message_at", "-id")
    DATA["conversations"] = await conversations.values("id", "last_message_at")
    ids = [c["id"] for c in DATA["conversations"]]
    messages = MessageRow.filter(conversation_id__in=ids).order_by("id")
    DATA["messages"] = grouped(
        await messages.values("id", "conversation_id", "body", "sent_at"), "conversation_id"
    )
    await Tortoise.close_connections()


def main() -> None:
    port, database_url = int(sys.argv[1]), sys.argv[2]
    asyncio.run(load(database_url))
    gc.freeze()  # the loaded rows are permanent: keep the collector from walking them
    app = Starlette(routes=[Route("/graphql", GraphQL(schema), methods=["POST"])])
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        loop=os.environ.get("BENCH_LOOP", "auto"),
        http=os.environ.get("BENCH_HTTP", "auto"),
    )


if __name__ == "__main__":
    # Types resolved through the module `__main__` are resolved again on every request:
    # serve the schema of the imported module instead.
    from bench import limit

    limit.main()
