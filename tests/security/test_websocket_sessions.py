"""A WebSocket lives no longer than its session: revocation, expiry and the caps.

graphql-transport-ws authenticates once, at connection_init. These tests hold the socket
to the same rules as HTTP: after logOut, a password reset or expiry the socket closes
with 4403 and nothing sent on it runs; one account holds a bounded number of sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
import websockets
from starlette.applications import Starlette

from carepath.clock import utcnow
from carepath.events.bus import InMemoryBus
from carepath.models import AuthSession, Message
from carepath.schema.socket_session import SocketRegistry, SocketSession
from carepath.services.actor import Actor
from carepath.settings import Settings, SettingsError, load_settings
from tests.factories import PASSWORD
from tests.live import ServerProcess, Subscriber, in_loop_server, post, start_process
from tests.messaging_steps import BECOME_PROVIDER, Party, a_client, a_provider, care_between
from tests.support import Api, SmtpServer, token_in

ME = "{ me { email clientProfile { insurance { payerName } } } }"
ROLES = "{ me { roles } }"
ON_MESSAGE = "subscription { messageReceived { body } }"
LOG_OUT = "mutation { logOut { ok } }"
LOG_IN = "mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p}) { token } }"
SET_INSURANCE = """
mutation($c: ID!) { setInsurance(input: {clientId: $c, payerName: "Aetna", inNetwork: true}) {
  errors { code } } }
"""
SEND = """
mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { errors { code } } }
"""
IDLE_MARGIN = 2.0  # seconds a "nearly idle" session has left
REQUEST_RESET = "mutation($e: String!) { requestPasswordReset(input: {email: $e}) { ok } }"
RESET = """
mutation($t: String!, $p: String!) { resetPassword(input: {token: $t, newPassword: $p}) { ok } }
"""


@pytest.fixture
async def address(app: Starlette) -> AsyncIterator[str]:
    async with in_loop_server(app) as live:
        yield live


async def send(subscriber: Subscriber, query: str, variables: dict[str, Any] | None = None) -> None:
    """Sends an operation; a socket the server has closed already takes nothing."""
    with contextlib.suppress(websockets.ConnectionClosed):
        await subscriber.subscribe(query, variables)


async def answer(subscriber: Subscriber, query: str) -> dict[str, Any]:
    """The `next` payload of a query or mutation sent over the socket."""
    operation_id = await subscriber.subscribe(query)
    reply = await subscriber.next(timeout=3)
    assert (reply["id"], reply["type"]) == (operation_id, "next"), reply
    assert await subscriber.next(timeout=3) == {"id": operation_id, "type": "complete"}
    payload: dict[str, Any] = reply["payload"]
    return payload


def carried_data(received: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in received if m.get("type") == "next" and m["payload"].get("data")]


async def test_logging_out_closes_the_open_socket_with_4403_at_once(api: Api, address: str) -> None:
    client = await a_client(api)
    async with Subscriber.connect(address, client.account.token) as socket:
        assert await socket.acknowledged()
        await post(address, LOG_OUT, token=client.account.token)
        closed, received = await socket.until_closed(timeout=2)
    assert (closed.code, closed.reason, received) == (4403, "Session revoked", [])


async def test_a_query_sent_after_logging_out_gets_no_data(api: Api, address: str) -> None:
    client = await a_client(api)
    await post(address, SET_INSURANCE, {"c": client.global_id}, client.account.token)
    async with Subscriber.connect(address, client.account.token) as socket:
        assert await socket.acknowledged()
        before = await answer(socket, ME)
        assert before["data"]["me"]["clientProfile"]["insurance"] == {"payerName": "Aetna"}
        await post(address, LOG_OUT, token=client.account.token)
        await send(socket, ME)
        closed, received = await socket.until_closed(timeout=2)
    assert closed.code == 4403
    assert carried_data(received) == []


async def test_a_message_sent_over_the_socket_after_logging_out_is_not_created(
    api: Api, address: str
) -> None:
    provider, client = await a_provider(api), await a_client(api)
    await care_between(provider, client)
    async with Subscriber.connect(address, provider.account.token) as socket:
        assert await socket.acknowledged()
        await post(address, LOG_OUT, token=provider.account.token)
        await send(socket, SEND, {"input": {"clientId": client.global_id, "body": "after"}})
        closed, received = await socket.until_closed(timeout=2)
    assert closed.code == 4403
    assert carried_data(received) == []
    assert await Message.filter(body="after").count() == 0


async def test_a_subscription_started_after_logging_out_never_receives(
    api: Api, address: str
) -> None:
    provider, client = await a_provider(api), await a_client(api)
    await care_between(provider, client)
    async with Subscriber.connect(address, client.account.token) as socket:
        assert await socket.acknowledged()
        await post(address, LOG_OUT, token=client.account.token)
        await send(socket, ON_MESSAGE)
        await asyncio.sleep(0.2)
        sent = await post(
            address, SEND, {"input": {"clientId": client.global_id, "body": "hi"}},
            provider.account.token,
        )  # fmt: skip
        assert sent["data"]["sendMessage"]["errors"] == []
        closed, received = await socket.until_closed(timeout=2)
    assert closed.code == 4403
    assert carried_data(received) == []


async def _second_session(address: str, party: Party) -> str:
    logged_in = await post(address, LOG_IN, {"e": party.account.email, "p": PASSWORD})
    token: str = logged_in["data"]["logIn"]["token"]
    return token


async def test_resetting_the_password_closes_every_socket_of_the_account_and_no_other(
    api: Api, address: str, smtp_server: SmtpServer
) -> None:
    client, bystander = await a_client(api), await a_client(api, "by@example.com", "By Stander")
    other_token = await _second_session(address, client)
    async with (
        Subscriber.connect(address, client.account.token) as first,
        Subscriber.connect(address, other_token) as second,
        Subscriber.connect(address, bystander.account.token) as unrelated,
    ):
        for socket in (first, second, unrelated):
            assert await socket.acknowledged()
        await post(address, REQUEST_RESET, {"e": client.account.email})
        [mail] = await smtp_server.wait_for(client.account.email, kind="reset_password")
        await post(address, RESET, {"t": token_in(mail), "p": "an entirely new passphrase"})
        for socket in (first, second):
            closed, _ = await socket.until_closed(timeout=2)
            assert (closed.code, closed.reason) == (4403, "Session revoked")
        assert (await answer(unrelated, ROLES))["data"] == {"me": {"roles": ["CLIENT"]}}


async def test_an_expired_session_closes_its_socket_with_4403(api: Api, address: str) -> None:
    client = await a_client(api)
    soon = utcnow() + timedelta(seconds=1)
    await AuthSession.filter(user_id=client.account.pk).update(expires_at=soon)
    async with Subscriber.connect(address, client.account.token) as socket:
        assert await socket.acknowledged()
        assert (await answer(socket, ROLES))["data"] == {"me": {"roles": ["CLIENT"]}}
        closed, received = await socket.until_closed(timeout=3)
    assert (closed.code, closed.reason, received) == (4403, "Session expired", [])


async def test_each_operation_on_a_socket_sees_changes_made_since_the_last(
    api: Api, address: str
) -> None:
    """Fresh loaders and actor facts per operation: a socket's caches do not outlive it."""
    client = await a_client(api)
    async with Subscriber.connect(address, client.account.token) as socket:
        assert await socket.acknowledged()
        assert (await answer(socket, ROLES))["data"] == {"me": {"roles": ["CLIENT"]}}
        await post(address, BECOME_PROVIDER, token=client.account.token)
        now = await answer(socket, ROLES)
    assert now["data"] == {"me": {"roles": ["CLIENT", "PROVIDER"]}}


async def test_an_account_over_its_socket_cap_is_refused_with_4429_until_one_closes(
    api: Api, address: str, settings: Settings
) -> None:
    client = await a_client(api)
    token, cap = client.account.token, settings.max_sockets_per_user
    async with contextlib.AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(Subscriber.connect(address, token)) for _ in range(cap)
        ]
        for socket in sockets:
            assert await socket.acknowledged()
        async with Subscriber.connect(address, token) as refused:
            closed, received = await refused.until_closed(timeout=2)
        assert (closed.code, received) == (4429, [])
        assert closed.reason == "Too many open sockets for this account"
        await sockets.pop().socket.close()
        await asyncio.sleep(0.2)
        async with Subscriber.connect(address, token) as accepted:
            assert await accepted.acknowledged()


def test_the_socket_cap_comes_from_max_sockets_per_user_and_defaults_to_ten() -> None:
    assert load_settings({}).max_sockets_per_user == 10
    assert load_settings({"MAX_SOCKETS_PER_USER": "3"}).max_sockets_per_user == 3
    with pytest.raises(SettingsError):
        load_settings({"MAX_SOCKETS_PER_USER": "0"})


async def test_the_twenty_first_operation_on_one_socket_is_refused(api: Api, address: str) -> None:
    client = await a_client(api)
    async with Subscriber.connect(address, client.account.token) as socket:
        assert await socket.acknowledged()
        for _ in range(20):
            await socket.subscribe(ON_MESSAGE)
        over = await socket.subscribe(ON_MESSAGE)
        reply = await socket.next(timeout=2)
    assert (reply["id"], reply["type"]) == (over, "error")
    assert reply["payload"][0]["message"] == "Subscription limit reached"


async def _watched(
    settings: Settings, session: AuthSession, **overrides: Any
) -> tuple[SocketSession, asyncio.Future[str]]:
    """A socket's session state, started as the handler starts it; the future gets the
    reason it ends with."""
    registry = SocketRegistry(settings.with_overrides(**overrides), InMemoryBus())
    socket = registry.open(Actor(session=session))
    ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def end(reason: str) -> None:
        ended.set_result(reason)

    await socket.start(end)
    return socket, ended


async def _nearly_idle_session(api: Api, settings: Settings) -> AuthSession:
    """Given: a session last used just under the idle timeout ago."""
    client = await a_client(api)
    idle = timedelta(minutes=settings.idle_timeout_minutes)
    last_seen = utcnow() - idle + timedelta(seconds=IDLE_MARGIN)
    await AuthSession.filter(user_id=client.account.pk).update(last_seen_at=last_seen)
    return await AuthSession.get(user_id=client.account.pk)


async def test_a_revocation_whose_event_was_lost_ends_the_socket_at_the_next_recheck(
    api: Api, settings: Settings
) -> None:
    client = await a_client(api)
    session = await AuthSession.get(user_id=client.account.pk)
    socket, ended = await _watched(settings, session, session_recheck_seconds=0.3)
    try:
        await asyncio.sleep(0.5)
        assert not ended.done()
        await AuthSession.filter(id=session.id).update(revoked_at=utcnow())  # no event
        assert await asyncio.wait_for(ended, 2) == "Session revoked"
    finally:
        await socket.stop()


async def test_a_socket_without_operations_idles_out_with_its_session(
    api: Api, settings: Settings
) -> None:
    session = await _nearly_idle_session(api, settings)
    socket, ended = await _watched(settings, session)
    try:
        assert await asyncio.wait_for(ended, IDLE_MARGIN + 2) == "Session idle timeout"
    finally:
        await socket.stop()


async def test_an_operation_on_the_socket_keeps_its_session_from_idling_out(
    api: Api, settings: Settings
) -> None:
    session = await _nearly_idle_session(api, settings)
    socket, ended = await _watched(settings, session)
    try:
        await socket.check()  # what the handler does before each operation
        await asyncio.sleep(IDLE_MARGIN + 0.5)
        assert not ended.done()
        fresh = await AuthSession.get(id=session.id)
        assert utcnow() - fresh.last_seen_at < timedelta(seconds=5)
    finally:
        await socket.stop()


@pytest.fixture
def two_processes(settings: Settings) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    redis_url = os.environ.get("REDIS_URL")
    if settings.is_sqlite or not redis_url:
        pytest.skip("needs DATABASE_URL on PostgreSQL and REDIS_URL")
    servers = (start_process(settings, redis_url), start_process(settings, redis_url))
    yield servers
    for server in servers:
        server.process.terminate()
        server.process.wait(10)


@pytest.mark.postgres
@pytest.mark.redis
async def test_logging_out_on_one_process_closes_the_socket_on_another(
    api: Api, two_processes: tuple[ServerProcess, ServerProcess]
) -> None:
    """The revocation crosses processes on the bus: well before the 30 s fallback re-read."""
    one, other = two_processes
    client = await a_client(api)
    async with Subscriber.connect(one.address, client.account.token) as socket:
        assert await socket.acknowledged()
        await post(other.address, LOG_OUT, token=client.account.token)
        closed, received = await socket.until_closed(timeout=3)
    assert (closed.code, closed.reason, received) == (4403, "Session revoked", [])
