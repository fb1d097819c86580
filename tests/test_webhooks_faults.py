"""Webhooks under faults: a receiver down for a while, an endpoint failing for 5 days, an
internal address in production, a changed SECRET_KEY, a worker stopped mid-attempt, and
two workers racing on one PostgreSQL database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from carepath.clock import utcnow
from carepath.models import Provider, User, WebhookDelivery, WebhookEndpoint
from carepath.models.enums import WebhookDeliveryStatus
from carepath.schema.ids import pk_of
from carepath.services import webhook_events, webhooks
from carepath.services.actor import Actor
from carepath.services.webhook_delivery import WebhookWorker
from carepath.settings import Settings
from tests.support import Api, SmtpServer
from tests.webhook_steps import (
    Receiver,
    a_booking,
    a_hooked_practice,
    an_endpoint,
    deliveries,
    quick,
    receiver,
    succeed,
    worker,
)

__all__ = ["receiver", "worker"]  # fixtures


async def queued_events(count: int) -> list[str]:
    """Given-step: `count` appointment.booked events for every provider endpoint, written
    the way the services write them (inside a transaction). Their event ids."""
    provider_ids = [p.id for p in await Provider.all()]
    event_ids = []
    for n in range(count):
        async with in_transaction():
            rows = await webhook_events.emit(
                webhook_events.Event.APPOINTMENT_BOOKED, {"n": n}, provider_ids, None
            )
        event_ids.append(rows[0].event_id)
    return event_ids


async def test_a_receiver_down_for_a_while_gets_every_event_exactly_once_when_back(
    api: Api, receiver: Receiver, settings: Settings
) -> None:
    practice, _ = await a_hooked_practice(api, receiver.url)
    await a_booking(api, practice)
    sent = [await WebhookDelivery.get().values_list("event_id", flat=True)]
    sent += await queued_events(4)
    patient = WebhookWorker(quick(settings, webhook_retry_schedule=(0, 0, 0, 0)))
    try:
        receiver.stop()
        assert await patient.deliver_due() == 0
        assert await patient.deliver_due() == 0
        assert await WebhookDelivery.filter(attempts=2, status="PENDING").count() == 5
        receiver.start()
        assert await patient.deliver_due() == 5
        assert await patient.deliver_due() == 0
    finally:
        await patient.stop()
    assert sorted(r.id for r in receiver.received) == sorted(sent)
    assert await WebhookDelivery.filter(status=WebhookDeliveryStatus.SUCCEEDED).count() == 5


async def test_an_endpoint_failing_for_five_days_is_disabled_and_its_owner_emailed(
    api: Api, receiver: Receiver, worker: WebhookWorker, smtp_server: SmtpServer
) -> None:
    practice, hook = await a_hooked_practice(api, receiver.url)
    await a_booking(api, practice)
    receiver.answer(500, 500)
    assert await worker.deliver_due() == 0
    endpoint = await WebhookEndpoint.get()
    assert endpoint.failing_since is not None and endpoint.enabled

    five_days_ago = utcnow() - timedelta(days=5, minutes=1)
    await WebhookEndpoint.filter(id=endpoint.id).update(failing_since=five_days_ago)
    assert await worker.deliver_due() == 0
    assert (await WebhookEndpoint.get()).enabled is False
    [mail] = await smtp_server.wait_for(practice.provider.email, kind="webhook_endpoint_disabled")
    assert "127.0.0.1" in str(mail.get_body()) and "/hooks" not in str(mail.get_body())
    assert await worker.deliver_due() == 0
    assert len(receiver.received) == 2  # nothing more while disabled

    await succeed(
        api,
        "mutation U($input: UpdateWebhookEndpointInput!) {"
        " updateWebhookEndpoint(input: $input) { errors { code } } }",
        "updateWebhookEndpoint",
        {"endpointId": hook.id, "enabled": True},
        practice.token,
    )
    assert await worker.deliver_due() == 1  # the waiting delivery goes; the clock restarts
    assert (await WebhookEndpoint.get()).failing_since is None


async def test_production_refuses_an_internal_address_again_at_delivery(
    api: Api, receiver: Receiver, settings: Settings
) -> None:
    practice, hook = await a_hooked_practice(api, receiver.url)  # accepted outside production
    await a_booking(api, practice)
    production = WebhookWorker(quick(settings, env="production"))
    try:
        assert await production.deliver_due() == 0
    finally:
        await production.stop()
    assert receiver.received == []
    [pending] = await deliveries(api, practice.token, hook)
    assert (pending["attempts"], pending["lastResponseStatus"]) == (1, None)


async def test_after_secret_key_changes_nothing_is_signed_until_the_secret_is_rotated(
    api: Api, receiver: Receiver, settings: Settings
) -> None:
    practice, hook = await a_hooked_practice(api, receiver.url)
    await a_booking(api, practice)
    rekeyed = quick(settings, secret_key="another-secret-key-with-at-least-32-chars")
    other = WebhookWorker(rekeyed)
    try:
        assert await other.deliver_due() == 0
        assert receiver.received == []
        # The owner rotates on a server running with the new key: deliveries resume,
        # signed by the new secret alone (the previous one no longer decrypts).
        actor = Actor(user=await User.get(id=practice.provider.pk))  # signed in afresh
        endpoint_pk = pk_of(hook.id, "WebhookEndpoint")
        _, fresh = await webhooks.rotate_secret(actor, rekeyed, endpoint_pk)
        assert await other.deliver_due() == 1
        assert " " not in receiver.received[0].headers["webhook-signature"]
        receiver.received[0].verify(fresh)
    finally:
        await other.stop()


async def test_a_worker_stopped_mid_attempt_records_it_and_never_sends_it_again(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    practice, _ = await a_hooked_practice(api, receiver.url)
    await a_booking(api, practice)
    receiver.delay = 0.5
    stopping = asyncio.create_task(worker.deliver_due())
    async with asyncio.timeout(5):
        while not receiver.received:
            await asyncio.sleep(0.01)
    stopping.cancel()  # SIGTERM while the receiver is still answering
    await asyncio.wait({stopping}, timeout=5)

    delivery = await WebhookDelivery.get()
    assert delivery.status == WebhookDeliveryStatus.SUCCEEDED and delivery.leased_until is None
    assert await worker.deliver_due() == 0
    assert len(receiver.received) == 1


async def test_two_workers_on_one_postgresql_deliver_each_event_once(
    api: Api, receiver: Receiver, settings: Settings
) -> None:
    if settings.is_sqlite:
        pytest.skip("needs PostgreSQL: SQLite serialises every writer, so there is no race")
    practice, _ = await a_hooked_practice(api, receiver.url)
    second = Receiver()
    second.start()
    try:
        await an_endpoint(api, practice.token, second.url, providerId=practice.id)
        sent = await queued_events(20)
        first_worker, second_worker = (WebhookWorker(quick(settings)) for _ in range(2))
        try:
            delivered = await asyncio.gather(
                first_worker.deliver_due(), second_worker.deliver_due()
            )
            delivered += await asyncio.gather(
                first_worker.deliver_due(), second_worker.deliver_due()
            )
        finally:
            await first_worker.stop()
            await second_worker.stop()
        assert sum(delivered) == 40
        for server in (receiver, second):
            assert sorted(r.id for r in server.received) == sorted(sent)
    finally:
        second.stop()
