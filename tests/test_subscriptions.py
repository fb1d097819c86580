"""Subscriptions over a real WebSocket (graphql-transport-ws) against a live uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import websockets
from starlette.applications import Starlette

from carepath.clock import utcnow
from carepath.events.bus import QUEUE_LIMIT
from carepath.models import Appointment, License, Provider
from carepath.models.enums import (
    AppointmentKind,
    AppointmentStatus,
    BookedBy,
    Modality,
    UsState,
    VerificationStatus,
)
from tests.live import Subscriber, in_loop_server, post
from tests.messaging_steps import Party, a_client, a_provider, care_between
from tests.support import Api

ON_MESSAGE = "subscription { messageReceived { body sender { id } conversation { id } } }"
ON_CONFIRMED = "subscription { sessionConfirmed { id status billingType } }"
SEND = """
mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { errors { code } } }
"""
CONFIRM = """
mutation Confirm($id: ID!) {
  confirmSession(input: {appointmentId: $id, billingType: PRIVATE_PAY}) {
    appointment { id status } errors { code }
  }
}
"""


async def a_conversation(address: str, provider: Party, client: Party) -> str:
    """The provider writes first; the conversation's id."""
    sent = await post(
        address, "mutation($c: ID!) { sendMessage(input: {clientId: $c, body: \"a\"}) {"
        " message { conversation { id } } } }", {"c": client.global_id}, provider.account.token,
    )  # fmt: skip
    conversation_id: str = sent["data"]["sendMessage"]["message"]["conversation"]["id"]
    return conversation_id


@pytest.fixture
async def address(app: Starlette) -> AsyncIterator[str]:
    async with in_loop_server(app) as live:
        yield live


async def test_recipient_gets_the_message_within_a_second_and_others_do_not(
    api: Api, address: str
) -> None:
    provider, client = await a_provider(api), await a_client(api)
    third = await a_client(api, "third@example.com", "Third Person")
    await care_between(provider, client)
    async with (
        Subscriber.connect(address, client.account.token) as recipient,
        Subscriber.connect(address, third.account.token) as bystander,
        Subscriber.connect(address, provider.account.token) as sender,
    ):
        for subscriber in (recipient, bystander, sender):
            assert await subscriber.acknowledged()
            await subscriber.subscribe(ON_MESSAGE)
        await asyncio.sleep(0.1)
        result = await post(
            address, SEND, {"input": {"clientId": client.global_id, "body": "Hello Sam"}},
            provider.account.token,
        )  # fmt: skip
        assert result["data"]["sendMessage"]["errors"] == []
        received = await recipient.next(timeout=1.0)
        assert received["type"] == "next"
        assert received["payload"]["data"]["messageReceived"]["body"] == "Hello Sam"
        for other in (bystander, sender):
            with pytest.raises(TimeoutError):
                await other.next(timeout=0.5)


async def test_subscription_to_one_conversation_ignores_the_others(api: Api, address: str) -> None:
    provider, client = await a_provider(api), await a_client(api)
    other = await a_provider(api, "other@example.com")
    await care_between(provider, client)
    await care_between(other, client)
    conversation_id = await a_conversation(address, provider, client)
    query = "subscription($c: ID) { messageReceived(conversationId: $c) { body } }"
    async with Subscriber.connect(address, client.account.token) as subscriber:
        assert await subscriber.acknowledged()
        await subscriber.subscribe(query, {"c": conversation_id})
        await asyncio.sleep(0.1)
        await post(address, SEND, {"input": {"clientId": client.global_id, "body": "elsewhere"}},
                   other.account.token)  # fmt: skip
        await post(address, SEND, {"input": {"conversationId": conversation_id, "body": "here"}},
                   provider.account.token)  # fmt: skip
        received = await subscriber.next()
        assert received["payload"]["data"]["messageReceived"]["body"] == "here"


async def test_subscribing_to_a_conversation_not_ones_own_is_refused(
    api: Api, address: str
) -> None:
    provider, client = await a_provider(api), await a_client(api)
    await care_between(provider, client)
    theirs = await a_conversation(address, provider, client)
    stranger = await a_client(api, "eve@example.com", "Eve")
    query = "subscription($c: ID) { messageReceived(conversationId: $c) { body } }"
    async with Subscriber.connect(address, stranger.account.token) as subscriber:
        assert await subscriber.acknowledged()
        for conversation_id in (theirs, "garbage"):  # denied looks like missing
            operation_id = await subscriber.subscribe(query, {"c": conversation_id})
            reply = await subscriber.next(timeout=2)
            assert (reply["type"], reply["id"]) == ("next", operation_id)
            [error] = reply["payload"]["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert error["message"] == "No conversation with that id."
            assert await subscriber.next(timeout=2) == {"id": operation_id, "type": "complete"}


async def test_the_client_apps_pages_may_subscribe_and_other_sites_may_not(
    api: Api, address: str
) -> None:
    client = await a_client(api)
    token = client.account.token
    async with Subscriber.connect(address, token, origin="https://app.carepath.test") as app:
        assert await app.acknowledged()
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with Subscriber.connect(address, token, origin="https://evil.example") as other:
            await other.acknowledged()
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("token", [None, "not-a-token"])
async def test_missing_or_bad_token_closes_the_socket_with_4403(
    address: str, token: str | None
) -> None:
    async with Subscriber.connect(address, token) as subscriber:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await subscriber.next(timeout=2)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_legacy_protocol_is_refused(address: str) -> None:
    with pytest.raises((websockets.InvalidHandshake, websockets.ConnectionClosed)):
        async with websockets.connect(f"ws://{address}/graphql", subprotocols=["graphql-ws"]) as ws:
            await ws.send('{"type": "connection_init", "payload": {}}')
            await asyncio.wait_for(ws.recv(), 2)


async def test_logging_out_ends_the_subscription_with_its_socket(api: Api, address: str) -> None:
    client = await a_client(api)
    async with Subscriber.connect(address, client.account.token) as subscriber:
        assert await subscriber.acknowledged()
        await subscriber.subscribe(ON_MESSAGE)
        await post(address, "mutation { logOut { ok } }", token=client.account.token)
        closed, received = await subscriber.until_closed(timeout=3)
    assert (closed.code, received) == (4403, [])


async def _confirmable_session(provider_pk: int, client_pk: int) -> int:
    """Given: an in-person session that started an hour ago, the provider licensed there."""
    await Provider.filter(id=provider_pk).update(offers_in_person=True, office_state=UsState.NY)
    await License.create(
        provider_id=provider_pk, state=UsState.NY, number="NY-1", status=VerificationStatus.VERIFIED
    )
    starts_at = utcnow() - timedelta(hours=1)
    appointment = await Appointment.create(
        provider_id=provider_pk, client_id=client_pk, kind=AppointmentKind.SESSION,
        modality=Modality.IN_PERSON, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=50),
        status=AppointmentStatus.SCHEDULED, booked_by=BookedBy.PROVIDER,
    )  # fmt: skip
    return appointment.id


async def test_session_confirmed_reaches_client_and_provider_only(api: Api, address: str) -> None:
    provider, client = await a_provider(api), await a_client(api)
    stranger = await a_client(api, "stranger@example.com", "Stranger")
    appointment_pk = await _confirmable_session(provider.pk, client.pk)
    async with (
        Subscriber.connect(address, client.account.token) as client_socket,
        Subscriber.connect(address, provider.account.token) as provider_socket,
        Subscriber.connect(address, stranger.account.token) as stranger_socket,
    ):
        for socket in (client_socket, provider_socket, stranger_socket):
            assert await socket.acknowledged()
            await socket.subscribe(ON_CONFIRMED)
        await asyncio.sleep(0.1)
        from carepath.schema.ids import to_global_id

        appointment_id = to_global_id("Appointment", appointment_pk)
        result = await post(address, CONFIRM, {"id": appointment_id}, provider.account.token)
        assert result["data"]["confirmSession"]["errors"] == []
        for socket in (client_socket, provider_socket):
            event = await socket.next()
            assert event["payload"]["data"]["sessionConfirmed"] == {
                "id": appointment_id, "status": "CONFIRMED", "billingType": "PRIVATE_PAY",
            }  # fmt: skip
        with pytest.raises(TimeoutError):
            await stranger_socket.next(timeout=0.5)


async def test_expiring_token_ends_the_subscription_with_its_socket(api: Api, address: str) -> None:
    from carepath.models import AuthSession

    client = await a_client(api)
    session = await AuthSession.get(user_id=client.account.pk)
    await AuthSession.filter(id=session.id).update(expires_at=utcnow() + timedelta(seconds=1))
    async with Subscriber.connect(address, client.account.token) as subscriber:
        assert await subscriber.acknowledged()
        await subscriber.subscribe(ON_MESSAGE)
        closed, received = await subscriber.until_closed(timeout=3)
    assert (closed.code, received) == (4403, [])


async def test_invalid_subscription_gets_an_error_message(api: Api, address: str) -> None:
    client = await a_client(api)
    async with Subscriber.connect(address, client.account.token) as subscriber:
        assert await subscriber.acknowledged()
        operation_id = await subscriber.subscribe("subscription { messageReceived { nope } }")
        reply = await subscriber.next(timeout=2)
    assert reply["type"] == "error" and reply["id"] == operation_id
    assert "Cannot query field 'nope'" in reply["payload"][0]["message"]


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("subscription { messageReceived { body ", "Syntax Error"),
        ("subscription { " + "messageReceived " * 4999 + "}", "5000 tokens"),
    ],
    ids=["syntax", "tokens"],
)
async def test_unparsable_subscription_closes_with_4400_and_the_reason(
    api: Api, address: str, document: str, reason: str
) -> None:
    """graphql-transport-ws: a document that cannot be parsed is a bad request (4400)."""
    client = await a_client(api)
    async with Subscriber.connect(address, client.account.token) as subscriber:
        assert await subscriber.acknowledged()
        await subscriber.subscribe(document)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await subscriber.next(timeout=2)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400
    assert reason in closed.value.rcvd.reason


async def test_a_subscriber_that_falls_behind_is_told_to_catch_up_instead_of_losing_events(
    api: Api, address: str, app: Starlette
) -> None:
    client = await a_client(api)
    async with Subscriber.connect(address, client.account.token) as subscriber:
        assert await subscriber.acknowledged()
        operation = await subscriber.subscribe(ON_MESSAGE)
        await asyncio.sleep(0.1)
        bus = app.state.runtime.bus
        for n in range(QUEUE_LIMIT * 2):  # in-process publish never yields: the queue overflows
            await bus.publish(f"user:{client.account.pk}", {"type": "message", "message_id": -n})
        received = await subscriber.next(timeout=2.0)
    assert received["id"] == operation
    assert received["type"] == "error"
    assert received["payload"][0]["extensions"]["code"] == "EVENTS_INTERRUPTED"
    assert "messages(after:)" in received["payload"][0]["message"]
