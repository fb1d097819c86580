"""Delivering webhooks: retries with the same webhook-id, FAILED when the schedule runs
out, redelivery, redirects and timeouts fail, both signatures after a rotation, and a slow
receiver holding up nobody else."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from carepath.clock import utcnow
from carepath.models import WebhookDelivery, WebhookEndpoint
from carepath.services import webhook_secrets
from carepath.services.webhook_delivery import WebhookWorker
from carepath.settings import Settings
from tests.support import Api
from tests.webhook_steps import (
    REDELIVER,
    ROTATE_SECRET,
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


async def test_a_receiver_answering_500_then_200_gets_one_webhook_id_twice_and_nothing_after(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    practice, hook = await a_hooked_practice(api, receiver.url)
    await a_booking(api, practice)
    receiver.answer(500)

    assert await worker.deliver_due() == 0
    [pending] = await deliveries(api, practice.token, hook)
    assert (pending["status"], pending["attempts"], pending["lastResponseStatus"]) == (
        "PENDING",
        1,
        500,
    )
    assert pending["nextAttemptAt"] is not None
    assert await worker.deliver_due() == 1
    assert await worker.deliver_due() == 0

    first, second = receiver.received
    assert first.id == second.id == pending["eventId"]
    assert first.body == second.body == pending["payload"]
    [done] = await deliveries(api, practice.token, hook, "SUCCEEDED")
    assert (done["attempts"], done["lastResponseStatus"], done["nextAttemptAt"]) == (2, 200, None)


async def test_the_schedule_runs_out_to_failed_then_a_redelivery_sends_it_once_more(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    practice, hook = await a_hooked_practice(api, receiver.url)
    await a_booking(api, practice)
    receiver.answer(500, 503, 500)  # the first attempt and both retries of (0, 0)

    for _ in range(4):
        assert await worker.deliver_due() == 0
    assert len(receiver.received) == 3
    [failed] = await deliveries(api, practice.token, hook, "FAILED")
    assert (failed["attempts"], failed["nextAttemptAt"]) == (3, None)

    request = {"deliveryId": failed["id"]}
    again = await succeed(api, REDELIVER, "redeliverWebhook", request, practice.token)
    assert again["delivery"]["status"] == "PENDING"
    assert await worker.deliver_due() == 1
    assert await worker.deliver_due() == 0
    assert len(receiver.received) == 4
    assert receiver.received[3].id == failed["eventId"]
    [done] = await deliveries(api, practice.token, hook)
    assert (done["status"], done["attempts"]) == ("SUCCEEDED", 4)


async def test_a_redelivery_of_a_success_sends_it_once_more_and_a_failure_then_is_final(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    practice, hook = await a_hooked_practice(api, receiver.url)
    await a_booking(api, practice)
    assert await worker.deliver_due() == 1
    [done] = await deliveries(api, practice.token, hook)

    await succeed(api, REDELIVER, "redeliverWebhook", {"deliveryId": done["id"]}, practice.token)
    receiver.answer(500)
    assert await worker.deliver_due() == 0
    assert await worker.deliver_due() == 0
    assert [r.id for r in receiver.received] == [done["eventId"]] * 2
    [failed] = await deliveries(api, practice.token, hook)
    assert (failed["status"], failed["attempts"]) == ("FAILED", 2)


async def test_a_redirect_fails_the_attempt_and_is_never_followed(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    practice, hook = await a_hooked_practice(api, receiver.url)
    await a_booking(api, practice)
    receiver.answer(307)

    assert await worker.deliver_due() == 0
    assert len(receiver.received) == 1  # nothing went to the Location
    [pending] = await deliveries(api, practice.token, hook)
    assert (pending["status"], pending["lastResponseStatus"]) == ("PENDING", 307)


async def test_an_answer_later_than_the_timeout_fails_the_attempt_without_a_status(
    api: Api, receiver: Receiver, settings: Settings
) -> None:
    practice, hook = await a_hooked_practice(api, receiver.url)
    await a_booking(api, practice)
    receiver.delay = 1.0
    impatient = WebhookWorker(quick(settings, webhook_timeout_seconds=0.3))
    try:
        assert await impatient.deliver_due() == 0
    finally:
        await impatient.stop()
    [pending] = await deliveries(api, practice.token, hook)
    assert (pending["attempts"], pending["lastResponseStatus"]) == (1, None)


async def test_after_a_rotation_both_signatures_arrive_new_first_for_24_hours(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    practice, hook = await a_hooked_practice(api, receiver.url)
    rotated = await succeed(
        api, ROTATE_SECRET, "rotateWebhookSecret", {"endpointId": hook.id}, practice.token
    )
    new_secret = rotated["secret"]
    assert new_secret != hook.secret and new_secret.startswith("whsec_")
    await a_booking(api, practice)
    assert await worker.deliver_due() == 1

    got = receiver.received[0]
    newest, previous = got.headers["webhook-signature"].split(" ")
    timestamp = datetime.fromtimestamp(int(got.headers["webhook-timestamp"]), tz=UTC)
    assert newest == Webhook(new_secret).sign(got.id, timestamp, got.body)
    assert previous == Webhook(hook.secret).sign(got.id, timestamp, got.body)
    assert got.verify(new_secret) == got.verify(hook.secret)

    a_day_ago = utcnow() - timedelta(hours=24, minutes=1)
    await WebhookEndpoint.filter(secret_rotated_at__not_isnull=True).update(
        secret_rotated_at=a_day_ago
    )
    await a_booking(api, practice, "dora@example.com", "11:00")
    assert await worker.deliver_due() == 1
    later = receiver.received[1]
    assert " " not in later.headers["webhook-signature"]
    later.verify(new_secret)


async def test_the_secret_is_stored_encrypted_and_never_shown_again(
    api: Api, receiver: Receiver, settings: Settings
) -> None:
    practice, hook = await a_hooked_practice(api, receiver.url)
    row = await WebhookEndpoint.get()
    assert hook.secret not in row.secret_encrypted
    assert hook.secret.removeprefix("whsec_") not in row.secret_encrypted
    assert webhook_secrets.decrypt(settings.secret_key, row.secret_encrypted) == hook.secret
    shown = await api.data(
        "query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { id url } } }",
        {"id": hook.id},
        token=practice.token,
    )
    assert hook.secret not in str(shown)


async def test_a_slow_receiver_holds_up_neither_other_endpoints_nor_the_api(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    slow = Receiver()
    slow.start()
    try:
        practice, _ = await a_hooked_practice(api, receiver.url)
        await an_endpoint(api, practice.token, slow.url, providerId=practice.id)
        await a_booking(api, practice)
        slow.delay = 1.5

        tasks = await worker.dispatch()
        assert len(tasks) == 2  # one per endpoint
        done, waiting = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        assert len(done) == 1 and len(waiting) == 1
        assert len(receiver.received) == 1
        me = await api.data("{ me { id } }", token=practice.token)  # the API answers meanwhile
        assert me["me"]["id"]
        assert not next(iter(waiting)).done()
        await asyncio.wait(waiting)
        assert len(slow.received) == 1
        assert await WebhookDelivery.filter(status="SUCCEEDED").count() == 2
    finally:
        slow.stop()
