"""PostgreSQL "restarted" under a running process (through a proxy that drops every
connection and refuses new ones for a while): requests in the gap fail cleanly and
quickly, requests after it work without restarting Carepath, and no write is hidden."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from carepath.models import Message
from carepath.schema.ids import pk_of
from carepath.settings import Settings
from tests.faults.services import PostgresProxy
from tests.faults.traffic import REQUEST_TIMEOUT, Answer, Sender, graphql
from tests.live import ServerProcess, start_process
from tests.messaging_steps import Party, a_client, a_provider, care_between
from tests.support import Api

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

GAP_SECONDS = 3.0
ANSWER_BOUND_SECONDS = 10.0
READ = "{ me { id } conversations(first: 5) { edges { node { id unreadCount } } } }"


@dataclass
class Proxied:
    proxy: PostgresProxy
    process: ServerProcess


@pytest.fixture
async def proxied(postgres: Settings) -> AsyncIterator[Proxied]:
    """One Carepath process whose database connections all pass through the proxy."""
    parts = urlsplit(postgres.database_url)
    proxy = PostgresProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.start()
    netloc = (
        f"{parts.username}@127.0.0.1:{proxy.port}" if parts.username else f"127.0.0.1:{proxy.port}"
    )
    url = urlunsplit(parts._replace(netloc=netloc))
    process = await asyncio.to_thread(start_process, postgres, None, {"DATABASE_URL": url})
    yield Proxied(proxy, process)
    process.process.terminate()
    await asyncio.to_thread(process.process.wait, 10)
    await proxy.stop()


@dataclass
class Read:
    started: float
    status: int
    result: dict[str, Any]
    seconds: float


async def _reader(address: str, party: Party, reads: list[Read], stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=REQUEST_TIMEOUT) as http:
        while not stop.is_set():
            started = time.monotonic()
            status, result = await graphql(http, READ, {}, party.account.token)
            reads.append(Read(started, status, result, time.monotonic() - started))
            await asyncio.sleep(0.02)


def _codes(errors: list[dict[str, Any]]) -> set[str | None]:
    return {e.get("extensions", {}).get("code") for e in errors}


async def test_requests_during_a_database_restart_fail_cleanly_and_later_ones_work(
    api: Api, proxied: Proxied
) -> None:
    address = proxied.process.address
    provider, client = await a_provider(api), await a_client(api)
    await care_between(provider, client)
    sender = Sender([address], provider, [client])
    reads: list[Read] = []
    stop_reading = asyncio.Event()

    tasks = [asyncio.create_task(sender.run(lane, 2)) for lane in range(2)] + [
        asyncio.create_task(_reader(address, party, reads, stop_reading))
        for party in (provider, client)
    ]
    await asyncio.sleep(1.5)
    await proxied.proxy.cut()
    await asyncio.sleep(GAP_SECONDS)
    await proxied.proxy.resume()
    resumed = time.monotonic()
    await asyncio.sleep(3.0)
    sender.stop()
    stop_reading.set()
    await asyncio.gather(*tasks)

    answers: list[Answer] = sender.answers
    failed = [a for a in answers if not a.sent]
    failed_reads = [r for r in reads if r.status != 200 or "errors" in r.result]
    print(
        f"postgres restart: {len(answers)} sendMessage ({len(failed)} failed), {len(reads)} reads"
        f" ({len(failed_reads)} failed), {sum(1 for a in answers if a.sent and a.errors)} sent with"
        f" a payload error, slowest {max(a.seconds for a in answers):.2f}s"
    )
    assert failed, "the gap went unnoticed: the proxy did not cut anything"
    # In the gap: a GraphQL answer, never a 5xx, soon, with a code that says what happened.
    assert {a.status for a in answers} | {r.status for r in reads} == {200}
    assert max(a.seconds for a in answers) < ANSWER_BOUND_SECONDS
    assert max(r.seconds for r in reads) < ANSWER_BOUND_SECONDS
    codes = set().union(
        *(_codes(a.errors) for a in answers), *(_codes(r.result["errors"]) for r in failed_reads)
    )
    assert codes == {"SERVICE_UNAVAILABLE"}, codes
    # After it: everything works again, without restarting Carepath.
    assert [a for a in answers[-5:] if a.errors or a.message_id is None] == []
    assert [r for r in reads if r.started > resumed + 0.5 and "errors" in r.result] == []
    # No hidden write: as many messages stored as answers said sent, those among them.
    stored = set(await Message.all().values_list("id", flat=True))
    assert len(stored) == sum(1 for a in answers if a.sent)
    assert {pk_of(a.message_id, "Message") for a in answers if a.message_id} <= stored
