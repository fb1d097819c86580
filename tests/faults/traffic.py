"""Traffic for fault tests: a message sender that records every answer, and a client app's
message stream that re-subscribes and catches up when told its events were interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.live import Subscriber
from tests.messaging_steps import Party

SEND = """
mutation($c: ID!, $b: String!) { sendMessage(input: {clientId: $c, body: $b}) {
  message { id conversation { id } } errors { code } } }
"""
CATCH_UP = """
query($c: ID!, $after: String) { node(id: $c) { ... on Conversation {
  messages(first: 100, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } }
} } }
"""
ON_MESSAGE = "subscription($c: ID!) { messageReceived(conversationId: $c) { id } }"
REQUEST_TIMEOUT = 20.0


@dataclass
class Answer:
    """One sendMessage as its sender saw it."""

    recipient: int  # index of the client
    sent: bool  # the answer says the message was sent: sendMessage { errors: [] }
    message_id: str | None  # its id, unless reading the payload back failed
    errors: list[dict[str, Any]]  # top-level errors
    status: int
    seconds: float


async def graphql(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str
) -> tuple[int, dict[str, Any]]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        result: dict[str, Any] = response.json()
    except ValueError:  # e.g. a bare 500 page
        result = {"errors": [{"message": response.text[:200], "extensions": {}}]}
    return response.status_code, result


async def send_message(
    address: str, provider: Party, client: Party, recipient: int, body: str
) -> Answer:
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=REQUEST_TIMEOUT) as http:
        status, result = await graphql(
            http, SEND, {"c": client.global_id, "b": body}, provider.account.token
        )
    # A payload with no errors means sent, even if a field read back after the commit
    # failed (an error at sendMessage.message.conversation leaves `message` null).
    payload = (result.get("data") or {}).get("sendMessage") or {}
    message = payload.get("message") if payload.get("errors") == [] else None
    return Answer(
        recipient=recipient,
        sent=payload.get("errors") == [],
        message_id=message["id"] if message else None,
        errors=result.get("errors", []),
        status=status,
        seconds=time.monotonic() - started,
    )


@dataclass
class Sender:
    """Sends messages from the provider, round robin over processes and clients, until
    stopped; keeps every answer."""

    addresses: list[str]
    provider: Party
    clients: list[Party]
    answers: list[Answer] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, lane: int, lanes: int) -> None:
        for n in itertools.count(lane, lanes):
            if self._stop.is_set():
                return
            recipient = n % len(self.clients)
            address = self.addresses[n % len(self.addresses)]
            self.answers.append(
                await send_message(
                    address, self.provider, self.clients[recipient], recipient, f"note {n}"
                )
            )

    def stop(self) -> None:
        self._stop.set()


@dataclass
class MessageStream:
    """A client app on one conversation: live messages, and on EVENTS_INTERRUPTED a new
    subscription followed by a catch-up with messages(after:)."""

    address: str
    client: Party
    conversation_id: str
    live: list[str] = field(default_factory=list)
    caught_up: set[str] = field(default_factory=set)
    interruptions: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    unexpected: list[dict[str, Any]] = field(default_factory=list)
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)
    _cursor: str | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _later: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def seen(self) -> set[str]:
        return set(self.live) | self.caught_up

    async def run(self) -> None:
        async with Subscriber.connect(self.address, self.client.account.token) as socket:
            assert await socket.acknowledged()
            operation = await self._subscribe(socket)
            self.subscribed.set()
            in_this_subscription: set[str] = set()
            while not self._stop.is_set():
                try:
                    received = await socket.next(timeout=0.2)
                except TimeoutError:
                    continue
                if received.get("id") != operation:
                    self.unexpected.append(received)
                elif received["type"] == "next" and "data" in received["payload"]:
                    message_id = received["payload"]["data"]["messageReceived"]["id"]
                    if message_id in in_this_subscription:
                        self.duplicates.append(message_id)
                    in_this_subscription.add(message_id)
                    self.live.append(message_id)
                elif received["type"] == "error" and _interrupted(received):
                    self.interruptions.append(received)
                    operation = await self._subscribe(socket)
                    in_this_subscription = set()
                else:
                    self.unexpected.append(received)
        await asyncio.gather(*self._later)

    def stop(self) -> None:
        self._stop.set()

    async def _subscribe(self, socket: Subscriber) -> str:
        """Subscribe first, then catch up: nothing falls between the two. The protocol
        does not say when the server has started listening, so the app catches up once
        more a moment later (on a busy machine that can take a while)."""
        operation = await socket.subscribe(ON_MESSAGE, {"c": self.conversation_id})
        await asyncio.sleep(0.05)
        await self.catch_up()
        self._later.add(asyncio.create_task(self._catch_up_later()))
        return operation

    async def _catch_up_later(self) -> None:
        await asyncio.sleep(1.0)
        await self.catch_up()

    async def catch_up(self) -> None:
        async with httpx.AsyncClient(
            base_url=f"http://{self.address}", timeout=REQUEST_TIMEOUT
        ) as http:
            while True:
                variables = {"c": self.conversation_id, "after": self._cursor}
                _, result = await graphql(http, CATCH_UP, variables, self.client.account.token)
                page = result["data"]["node"]["messages"]
                self.caught_up.update(edge["node"]["id"] for edge in page["edges"])
                self._cursor = page["pageInfo"]["endCursor"] or self._cursor
                if not page["pageInfo"]["hasNextPage"]:
                    return


def _interrupted(received: dict[str, Any]) -> bool:
    errors = received.get("payload") or []
    return any(e.get("extensions", {}).get("code") == "EVENTS_INTERRUPTED" for e in errors)


@contextlib.asynccontextmanager
async def running(*streams: MessageStream) -> Any:
    """The streams run (subscribed before the block starts) and stop after it."""
    tasks = [asyncio.create_task(stream.run()) for stream in streams]
    try:
        async with asyncio.timeout(10):
            for stream in streams:
                await stream.subscribed.wait()
        yield
    finally:
        for stream in streams:
            stream.stop()
        await asyncio.gather(*tasks)
