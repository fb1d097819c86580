"""A minute of load on one process over PostgreSQL: 50 concurrent clients reading, sending
messages and booking through provider links. No 5xx, no internal error, and every answer
matches the rows it claims. CAREPATH_LOAD=1 runs it (see .ci/run); it prints its figures."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from carepath.clock import utcnow
from carepath.models import Appointment, Message, User
from carepath.settings import Settings
from tests.factories import PASSWORD, sign_up
from tests.live import ServerProcess, start_process
from tests.messaging_steps import Party, a_client, care_between
from tests.support import Api

pytestmark = [pytest.mark.load, pytest.mark.postgres]

CLIENTS = 50
SECONDS = float(os.environ.get("CAREPATH_LOAD_SECONDS", "60"))
PROVIDERS = 5
MESSAGING_CLIENTS = 35  # the other workers are providers, and bookers

BECOME = """
mutation($name: String!) { becomeProvider(input: {displayName: $name, intakeMode: PHONE_CONSULTATION,
  offersTelehealth: false, offersInPerson: false, timeZone: "UTC"}) { provider { id bookingSlug } } }
"""
AVAILABILITY = """
mutation($id: ID!) { setAvailability(input: {providerId: $id, windows: [
  {weekday: 1, start: "00:00", end: "24:00"}, {weekday: 2, start: "00:00", end: "24:00"},
  {weekday: 3, start: "00:00", end: "24:00"}, {weekday: 4, start: "00:00", end: "24:00"},
  {weekday: 5, start: "00:00", end: "24:00"}, {weekday: 6, start: "00:00", end: "24:00"},
  {weekday: 7, start: "00:00", end: "24:00"}]}) { errors { code } } }
"""
ME = "{ me { id fullName } }"
PROVIDERS_QUERY = "{ providers(first: 10) { edges { node { id displayName } } } }"
CLIENT_APPOINTMENTS = (
    "{ me { clientProfile { appointments(first: 10) { edges { node { id startsAt status } } } } } }"
)
PROVIDER_APPOINTMENTS = (
    "{ me { providerProfile { appointments(first: 10) { edges { node { id startsAt } } } } } }"
)
CONVERSATIONS = "{ conversations(first: 10) { edges { node { id unreadCount } } } }"
TO_PROVIDER = """
mutation($p: ID!) { sendMessage(input: {providerId: $p, body: "How are you?"}) {
  message { id } errors { code } } }
"""
TO_CLIENT = """
mutation($c: ID!) { sendMessage(input: {clientId: $c, body: "See you soon."}) {
  message { id } errors { code } } }
"""
SIGN_UP = (
    """
mutation($email: String!) { signUp(input: {email: $email, password: "%s", fullName: "New Client"}) {
  token user { id } errors { code } } }
"""
    % PASSWORD
)
BOOK = """
mutation($slug: String!, $at: DateTime!) {
  bookFirstAppointment(input: {bookingSlug: $slug, startsAt: $at, modality: PHONE}) {
    appointment { id } errors { code } } }
"""


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    internal: list[dict[str, Any]] = field(default_factory=list)
    messages_sent: int = 0
    bookings_made: int = 0
    bookings_refused: dict[str, int] = field(default_factory=dict)


@dataclass
class Practice:
    providers: list[tuple[Party, str]]  # the provider and their booking slug
    clients: list[tuple[Party, Party]]  # a client and their provider


@pytest.fixture
def process(settings: Settings) -> Iterator[ServerProcess]:
    if os.environ.get("CAREPATH_LOAD") != "1" or settings.is_sqlite:
        pytest.skip("needs CAREPATH_LOAD=1 and DATABASE_URL on PostgreSQL")
    server = start_process(settings, None)
    yield server
    server.process.terminate()
    server.process.wait(20)


async def _practice(api: Api) -> Practice:
    providers = []
    for n in range(PROVIDERS):
        account = await sign_up(api, f"provider{n}@example.com", f"Provider {n}")
        made = (await api.data(BECOME, {"name": f"Dr. {n}"}, account.token))["becomeProvider"]
        await api.data(AVAILABILITY, {"id": made["provider"]["id"]}, account.token)
        party = Party(account, made["provider"]["id"], pk_of_provider(made["provider"]["id"]))
        providers.append((party, made["provider"]["bookingSlug"]))
    clients = []
    for n in range(MESSAGING_CLIENTS):
        client = await a_client(api, f"client{n}@example.com", f"Client {n}")
        provider = providers[n % PROVIDERS][0]
        await care_between(provider, client, cancelled=True)  # cancelled: never overlaps
        clients.append((client, provider))
    return Practice(providers, clients)


def pk_of_provider(global_id: str) -> int:
    from carepath.schema.ids import pk_of

    pk = pk_of(global_id, "Provider")
    assert pk is not None
    return pk


class Worker:
    """One client app: its own keep-alive connection, a mix of what such an app does."""

    def __init__(self, http: httpx.AsyncClient, tally: Tally, practice: Practice, n: int) -> None:
        self.http, self.tally, self.practice, self.n = http, tally, practice, n
        self.random = random.Random(n)

    async def ask(self, query: str, variables: dict[str, Any], token: str | None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        started = time.monotonic()
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        self.tally.latencies.append(time.monotonic() - started)
        self.tally.statuses[response.status_code] = (
            self.tally.statuses.get(response.status_code, 0) + 1
        )
        result: dict[str, Any] = response.json() if response.status_code < 500 else {}
        self.tally.internal.extend(result.get("errors", []))
        return result

    async def run(self, until: float) -> None:
        while time.monotonic() < until:
            roll = self.random.random()
            if roll < 0.15:
                await self.book()
            elif roll < 0.40:
                await self.send()
            else:
                await self.read()

    async def read(self) -> None:
        client, provider = self.practice.clients[self.n % len(self.practice.clients)]
        as_provider = self.random.random() < 0.3
        token = (provider if as_provider else client).account.token
        appointments = PROVIDER_APPOINTMENTS if as_provider else CLIENT_APPOINTMENTS
        query = self.random.choice([ME, PROVIDERS_QUERY, CONVERSATIONS, appointments])
        await self.ask(query, {}, token)

    async def send(self) -> None:
        client, provider = self.practice.clients[self.random.randrange(len(self.practice.clients))]
        if self.random.random() < 0.5:
            result = await self.ask(TO_PROVIDER, {"p": provider.global_id}, client.account.token)
        else:
            result = await self.ask(TO_CLIENT, {"c": client.global_id}, provider.account.token)
        payload = (result.get("data") or {}).get("sendMessage")
        if payload is not None and payload["errors"] == []:
            self.tally.messages_sent += 1

    async def book(self) -> None:
        """A new client: signs up, verifies (a given-step shortcut), books a slot."""
        email = f"new-{self.n}-{time.monotonic_ns()}@example.com"
        signed = (await self.ask(SIGN_UP, {"email": email}, None)).get("data") or {}
        token = (signed.get("signUp") or {}).get("token")
        if not token:
            return
        await User.filter(email_key=email).update(email_verified_at=utcnow())
        _, slug = self.random.choice(self.practice.providers)
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        at = start + timedelta(days=1 + self.random.randrange(27), hours=self.random.randrange(24))
        result = await self.ask(BOOK, {"slug": slug, "at": at.isoformat()}, token)
        payload = (result.get("data") or {}).get("bookFirstAppointment")
        if payload is None:
            return
        if payload["errors"] == []:
            self.tally.bookings_made += 1
        else:
            code = payload["errors"][0]["code"]
            self.tally.bookings_refused[code] = self.tally.bookings_refused.get(code, 0) + 1


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def test_fifty_clients_for_a_minute_get_no_server_error_and_rows_match_answers(
    api: Api, process: ServerProcess
) -> None:
    practice = await _practice(api)
    messages_before = await Message.all().count()
    appointments_before = await Appointment.all().count()
    tally = Tally()
    limits = httpx.Limits(max_connections=1)
    clients = [
        httpx.AsyncClient(base_url=f"http://{process.address}", timeout=30, limits=limits)
        for _ in range(CLIENTS)
    ]
    started = time.monotonic()
    try:
        await asyncio.gather(
            *(
                Worker(http, tally, practice, n).run(started + SECONDS)
                for n, http in enumerate(clients)
            )
        )
    finally:
        await asyncio.gather(*(http.aclose() for http in clients))
    elapsed = time.monotonic() - started
    requests = len(tally.latencies)
    print(
        f"\nload: {CLIENTS} clients, {elapsed:.0f}s, {requests} requests, "
        f"{requests / elapsed:.0f} req/s, p50 {_percentile(tally.latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {_percentile(tally.latencies, 0.99) * 1000:.0f} ms, statuses {tally.statuses}, "
        f"messages {tally.messages_sent}, bookings {tally.bookings_made} "
        f"(refused {tally.bookings_refused})"
    )
    assert all(status < 500 for status in tally.statuses)
    assert tally.internal == []
    assert await Message.all().count() - messages_before == tally.messages_sent
    assert await Appointment.all().count() - appointments_before == tally.bookings_made
    assert tally.messages_sent > 0 and tally.bookings_made > 0
