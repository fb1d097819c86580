"""Two server processes sharing PostgreSQL and Redis: events and bookings cross them."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from carepath.models import Appointment, OutboxEmail
from carepath.settings import Settings
from tests.factories import PASSWORD
from tests.live import ServerProcess, Subscriber, post, start_process
from tests.support import SmtpServer

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SIGN_UP = (
    """
mutation($email: String!) { signUp(input: {email: $email, password: "%s", fullName: "Pat Lee"}) {
  token user { clientProfile { id } } errors { code } } }
"""
    % PASSWORD
)
BECOME = """
mutation { becomeProvider(input: {displayName: "Dr. Chen", intakeMode: PHONE_CONSULTATION,
  offersTelehealth: false, offersInPerson: false, timeZone: "UTC"}) { provider { id bookingSlug } } }
"""
AVAILABILITY = """
mutation($id: ID!) { setAvailability(input: {providerId: $id, windows: [
  {weekday: 1, start: "00:00", end: "24:00"}, {weekday: 2, start: "00:00", end: "24:00"},
  {weekday: 3, start: "00:00", end: "24:00"}, {weekday: 4, start: "00:00", end: "24:00"},
  {weekday: 5, start: "00:00", end: "24:00"}, {weekday: 6, start: "00:00", end: "24:00"},
  {weekday: 7, start: "00:00", end: "24:00"}]}) { errors { code } } }
"""
BOOK = """
mutation($slug: String!, $at: DateTime!) {
  bookFirstAppointment(input: {bookingSlug: $slug, startsAt: $at, modality: PHONE}) {
    appointment { id } errors { code } } }
"""
SEND = """
mutation($c: ID!) { sendMessage(input: {clientId: $c, body: "across processes"}) { errors { code } } }
"""


@pytest.fixture
def two_servers(settings: Settings) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    redis_url = os.environ.get("REDIS_URL")
    if settings.is_sqlite or not redis_url:
        pytest.skip("needs DATABASE_URL on PostgreSQL and REDIS_URL")
    first = start_process(settings, redis_url)
    second = start_process(settings, redis_url)
    yield first, second
    for server in (first, second):
        server.process.terminate()
        server.process.wait(10)


async def _verified_account(address: str, email: str) -> tuple[str, str]:
    from carepath.clock import utcnow
    from carepath.models import User

    result = await post(address, SIGN_UP, {"email": email})
    payload = result["data"]["signUp"]
    await User.filter(email_key=email).update(email_verified_at=utcnow())
    return payload["token"], payload["user"]["clientProfile"]["id"]


async def test_message_sent_on_one_process_reaches_a_subscriber_on_the_other(
    two_servers: tuple[ServerProcess, ServerProcess],
) -> None:
    one, other = two_servers
    provider_token, _ = await _verified_account(one.address, "chen@example.com")
    provider = (await post(one.address, BECOME, token=provider_token))["data"]["becomeProvider"]
    client_token, client_id = await _verified_account(one.address, "pat@example.com")
    from carepath.models import Client, Provider
    from tests.messaging_steps import Party, care_between

    await care_between(
        Party(None, provider["provider"]["id"], (await Provider.get()).id),  # type: ignore[arg-type]
        Party(None, client_id, (await Client.get(user__email_key="pat@example.com")).id),  # type: ignore[arg-type]
    )
    async with Subscriber.connect(one.address, client_token) as subscriber:
        assert await subscriber.acknowledged()
        await subscriber.subscribe("subscription { messageReceived { body } }")
        await asyncio.sleep(0.3)
        result = await post(other.address, SEND, {"c": client_id}, provider_token)
        assert result["data"]["sendMessage"]["errors"] == []
        event = await subscriber.next(timeout=1.0)
        assert event["payload"]["data"]["messageReceived"]["body"] == "across processes"


async def test_concurrent_bookings_across_processes_have_one_winner(
    two_servers: tuple[ServerProcess, ServerProcess], smtp_server: SmtpServer
) -> None:
    one, other = two_servers
    provider_token, _ = await _verified_account(one.address, "chen@example.com")
    provider = (await post(one.address, BECOME, token=provider_token))["data"]["becomeProvider"]
    provider_id, slug = provider["provider"]["id"], provider["provider"]["bookingSlug"]
    await post(one.address, AVAILABILITY, {"id": provider_id}, provider_token)
    tokens = [
        (await _verified_account(one.address, f"client{n}@example.com"))[0] for n in range(20)
    ]
    at = (datetime.now(UTC) + timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    results = await asyncio.gather(
        *(
            post((one, other)[n % 2].address, BOOK, {"slug": slug, "at": at.isoformat()}, token)
            for n, token in enumerate(tokens)
        )
    )
    codes = [r["data"]["bookFirstAppointment"]["errors"] for r in results]
    assert sum(1 for c in codes if c == []) == 1
    assert all(c == [] or c[0]["code"] == "SLOT_UNAVAILABLE" for c in codes)
    assert await Appointment.all().count() == 1
    client_mail = (
        await OutboxEmail.filter(kind="appointment_confirmation")
        .exclude(to_address="chen@example.com")
        .count()
    )
    assert client_mail == 1
