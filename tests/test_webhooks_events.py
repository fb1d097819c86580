"""Each webhook event arrives at a real receiver, signed (verified with standardwebhooks),
with ids, kinds, states and times only, and nothing else arrives (RULES.md "Webhooks")."""

from __future__ import annotations

import re
from typing import Any

from standardwebhooks import WebhookVerificationError

from carepath.models import WebhookDelivery
from carepath.schema.ids import parse_global_id
from carepath.services.webhook_delivery import WebhookWorker
from tests.practice_steps import (
    ERRORS,
    a_client,
    a_group_provider,
    a_team,
    succeed,
)
from tests.scheduling_steps import (
    CANCEL_APPOINTMENT,
    LINK,
    RESCHEDULE_APPOINTMENT,
    Practice,
    a_practice,
    at,
    book,
    iso,
    local,
    make_bookable,
    scheduled,
)
from tests.support import Api
from tests.test_confirm_session import care, confirm
from tests.webhook_steps import (
    GROUP_EVENTS,
    Received,
    Receiver,
    an_endpoint,
    receiver,
    set_enabled,
    worker,
)

__all__ = ["receiver", "worker"]  # fixtures

SEND_MESSAGE = f"""
mutation Send($input: SendMessageInput!) {{ sendMessage(input: $input) {{
  message {{ id conversation {{ id }} }} {ERRORS} }} }}
"""
TRANSFER = f"""
mutation Transfer($input: TransferClientInput!) {{ transferClient(input: $input) {{ {ERRORS} }} }}
"""
BOOKED_KEYS = {
    "appointmentId",
    "providerId",
    "clientId",
    "groupId",
    "kind",
    "modality",
    "status",
    "startsAt",
    "endsAt",
    "seriesId",
}


def verifies(got: Received, secret: str) -> bool:
    try:
        got.verify(secret)
    except WebhookVerificationError:
        return False
    return True


def as_booked(appointment: dict[str, Any], practice: Practice, client_id: str) -> dict[str, Any]:
    """What an appointment event's data must say, from the appointment as the API shows it."""
    return {
        "appointmentId": appointment["id"],
        "providerId": practice.id,
        "clientId": client_id,
        "groupId": None,
        "kind": appointment["kind"],
        "modality": appointment["modality"],
        "status": appointment["status"],
        "startsAt": appointment["startsAt"],
        "endsAt": appointment["endsAt"],
        "seriesId": appointment["seriesId"],
    }


async def a_booked_client(api: Api, practice: Practice) -> tuple[str, dict[str, Any]]:
    cleo = await a_client(api, "cleo@example.com", "Cleo Client")
    booked = await book(api, cleo, practice.slug, local(3, "10:00"))
    assert booked["errors"] == [], booked["errors"]
    assert cleo.client_id is not None
    return cleo.client_id, booked["appointment"]


async def test_a_first_booking_arrives_once_signed_as_appointment_booked(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    practice = await a_practice(api)
    hook = await an_endpoint(api, practice.token, receiver.url, providerId=practice.id)
    client_id, appointment = await a_booked_client(api, practice)

    assert await worker.deliver_due() == 1
    [got] = receiver.received
    event = got.verify(hook.secret)
    assert event["type"] == "appointment.booked"
    assert event["data"] == as_booked(appointment, practice, client_id)
    assert got.headers["content-type"] == "application/json"
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]+=*", got.headers["webhook-signature"])
    assert await worker.deliver_due() == 0
    assert len(receiver.received) == 1


async def test_each_occurrence_of_a_series_then_a_reschedule_and_a_cancellation_arrive(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    practice = await a_practice(api)
    client_id, _ = await a_booked_client(api, practice)
    hook = await an_endpoint(api, practice.token, receiver.url, providerId=practice.id)
    payload = await succeed(
        api,
        "mutation S($input: ScheduleAppointmentInput!) { scheduleAppointment(input: $input) {"
        " appointments { id kind modality status startsAt endsAt seriesId } errors { code } } }",
        "scheduleAppointment",
        {
            "providerId": practice.id,
            "clientId": client_id,
            "startsAt": iso(local(8, "11:00")),
            "modality": "TELEHEALTH",
            "recurrence": {"frequency": "WEEKLY", "count": 3},
        },
        practice.token,
    )
    series = payload["appointments"]
    first, second = series[0], series[1]
    moved = await succeed(
        api,
        RESCHEDULE_APPOINTMENT,
        "rescheduleAppointment",
        {"appointmentId": first["id"], "startsAt": iso(local(9, "12:00"))},
        practice.token,
    )
    request = {"appointmentId": second["id"], "reason": "The client moved to Ohio."}
    await succeed(api, CANCEL_APPOINTMENT, "cancelAppointment", request, practice.token)

    assert await worker.deliver_due() == 5
    events = [r.verify(hook.secret) for r in receiver.received]
    assert [e["type"] for e in events] == ["appointment.booked"] * 3 + [
        "appointment.rescheduled",
        "appointment.cancelled",
    ]
    assert [e["data"] for e in events[:3]] == [as_booked(a, practice, client_id) for a in series]
    assert events[0]["data"]["seriesId"] is not None
    assert len({r.id for r in receiver.received}) == 5  # one event id per appointment
    rescheduled = events[3]["data"]
    assert rescheduled == as_booked(moved["appointment"], practice, client_id) | {
        "previousStartsAt": first["startsAt"]
    }
    assert events[4]["data"]["status"] == "CANCELLED"
    assert "Ohio" not in receiver.received[4].body


async def test_a_confirmed_session_arrives_with_its_billing_type(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    given = await care(api)
    await given.licensed(api)
    location_id = await given.located(api)
    appointment_id = await given.past_session()
    hook = await an_endpoint(api, given.practice.token, receiver.url, providerId=given.practice.id)
    confirmed = await confirm(api, given.practice.token, appointment_id, location_id)
    assert confirmed["errors"] == []

    assert await worker.deliver_due() == 1
    event = receiver.received[0].verify(hook.secret)
    assert event["type"] == "session.confirmed"
    appointment = confirmed["appointment"]
    assert event["data"] == as_booked(appointment, given.practice, given.client_id) | {
        "billingType": "PRIVATE_PAY"
    }
    assert event["data"]["status"] == "CONFIRMED"


async def test_messages_arrive_as_message_sent_with_the_senders_role_never_the_body(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    practice = await a_practice(api)
    client_id, _ = await a_booked_client(api, practice)
    hook = await an_endpoint(api, practice.token, receiver.url, providerId=practice.id)
    sent = await succeed(
        api,
        SEND_MESSAGE,
        "sendMessage",
        {"clientId": client_id, "body": "Your lab results are in."},
        practice.token,
    )

    assert await worker.deliver_due() == 1
    event = receiver.received[0].verify(hook.secret)
    assert event == {
        "type": "message.sent",
        "timestamp": event["timestamp"],
        "data": {
            "conversationId": sent["message"]["conversation"]["id"],
            "messageId": sent["message"]["id"],
            "providerId": practice.id,
            "clientId": client_id,
            "senderRole": "PROVIDER",
        },
    }
    assert "lab results" not in receiver.received[0].body


async def test_a_group_endpoint_gets_its_appointments_and_transfers_but_never_messages(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    team = await a_team(api)
    member = await make_bookable(api, team.member)
    other = await a_group_provider(api, team.group_id, team.owner, "wren@example.com")
    group_hook = await an_endpoint(
        api, team.admin.token, receiver.url, GROUP_EVENTS, groupId=team.group_id
    )
    other_hook = await an_endpoint(api, other.token, receiver.url, providerId=other.provider_id)
    client_id, _ = await a_booked_client(api, member)
    request = {"clientId": client_id, "body": "Hello"}
    await succeed(api, SEND_MESSAGE, "sendMessage", request, member.token)
    transfer = {
        "clientId": client_id,
        "fromProviderId": member.id,
        "toProviderId": other.provider_id,
    }
    await succeed(api, TRANSFER, "transferClient", transfer, team.admin.token)

    assert await worker.deliver_due() == 3
    [booked] = [r for r in receiver.received if r.type == "appointment.booked"]
    assert booked.verify(group_hook.secret)["data"]["groupId"] == team.group_id
    transfers = [r for r in receiver.received if r.type == "client.transferred"]
    assert len(transfers) == 2 and transfers[0].id == transfers[1].id  # one event, two endpoints
    assert transfers[0].event["data"] == {
        "clientId": client_id,
        "fromProviderId": member.id,
        "toProviderId": other.provider_id,
        "groupId": team.group_id,
    }
    signed_by = sorted(
        name
        for got in transfers
        for name, secret in (("group", group_hook.secret), ("other", other_hook.secret))
        if verifies(got, secret)
    )
    assert signed_by == ["group", "other"]
    assert len(receiver.received) == 3  # the message went to neither


async def test_a_refused_booking_sends_nothing(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    practice = await a_practice(api)
    await an_endpoint(api, practice.token, receiver.url, providerId=practice.id)
    cleo = await a_client(api, "cleo@example.com")
    refused = await book(api, cleo, practice.slug, local(3, "03:00"))  # outside the hours
    assert [e["code"] for e in refused["errors"]] == ["OUTSIDE_AVAILABILITY"]

    assert await worker.deliver_due() == 0
    assert receiver.received == []
    assert await WebhookDelivery.all().count() == 0


async def test_a_disabled_endpoint_gets_nothing_and_an_unsubscribed_event_is_not_sent(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    practice = await a_practice(api)
    disabled = await an_endpoint(api, practice.token, receiver.url, providerId=practice.id)
    await an_endpoint(api, practice.token, receiver.url, ["MESSAGE_SENT"], providerId=practice.id)
    await set_enabled(api, practice.token, disabled, False)
    await a_booked_client(api, practice)

    assert await worker.deliver_due() == 0
    assert receiver.received == []


async def test_a_disabled_endpoints_waiting_deliveries_go_once_it_is_enabled_again(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    practice = await a_practice(api)
    hook = await an_endpoint(api, practice.token, receiver.url, providerId=practice.id)
    await a_booked_client(api, practice)
    await set_enabled(api, practice.token, hook, False)

    assert await worker.deliver_due() == 0
    await set_enabled(api, practice.token, hook, True)
    assert await worker.deliver_due() == 1
    assert receiver.types() == ["appointment.booked"]


def only_ids_kinds_states_and_times(value: Any) -> bool:
    """An id the API would show, an upper-case kind or state, an ISO time, or null."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    if parse_global_id(value) is not None or re.fullmatch(r"[A-Z_]+", value):
        return True
    return at(value) is not None


async def test_no_payload_holds_a_name_email_body_reason_link_location_or_insurance(
    api: Api, receiver: Receiver, worker: WebhookWorker
) -> None:
    given = await care(api)
    await given.insured(api, in_network=False)
    await given.licensed(api)
    location_id = await given.located(api)
    hook = await an_endpoint(api, given.practice.token, receiver.url, providerId=given.practice.id)
    appointment_id = await given.past_session()
    await confirm(api, given.practice.token, appointment_id, location_id)
    later = await scheduled(api, given.practice, given.client_id, local(5, "10:00"))
    request = {"appointmentId": later["id"], "reason": "Feeling unwell"}
    await succeed(api, CANCEL_APPOINTMENT, "cancelAppointment", request, given.practice.token)
    message = {"clientId": given.client_id, "body": "See you Tuesday"}
    await succeed(api, SEND_MESSAGE, "sendMessage", message, given.practice.token)

    assert await worker.deliver_due() == 4
    assert sorted(receiver.types()) == sorted(
        ["session.confirmed", "appointment.booked", "appointment.cancelled", "message.sent"]
    )
    phi = ("Cleo", "Ann Provider", "@example.com", "Tuesday", "unwell", "Aetna", LINK, "Home")
    for got in receiver.received:
        event = got.verify(hook.secret)
        assert set(event) == {"type", "timestamp", "data"}
        assert all(only_ids_kinds_states_and_times(v) for v in event["data"].values()), event
        assert not any(word in got.body for word in phi), got.body
