"""Confirming a session that took place (RULES.md "Confirming a session"), in the
rules' order: status, start, audio and video, client location, licence, billing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from carepath.clock import utcnow
from carepath.models import Appointment, Payout
from carepath.models.enums import AppointmentKind, AppointmentStatus, Modality, PayoutStatus
from tests.practice_steps import (
    ADD_CLIENT_LOCATION,
    BECOME_PROVIDER,
    COMPLETE_CREDENTIALING,
    SET_INSURANCE,
    Person,
    a_client,
    a_credential,
    a_group,
    a_group_provider,
    a_license,
    a_provider,
    a_staff_member,
    codes,
    mutate,
    on_roster,
    provider_input,
    succeed,
)
from tests.scheduling_steps import (
    CONFIRM_SESSION,
    Practice,
    a_past_appointment,
    a_practice,
    at,
    local,
    make_bookable,
    scheduled,
    written,
)
from tests.support import Api, SmtpServer

PAYOUTS = """
query Payouts($groupId: ID!) { payouts(groupId: $groupId) { status appointment { id } } }
"""


@dataclass
class Care:
    """A provider, a client on their roster, and staff to verify licences."""

    practice: Practice
    client: Person
    client_id: str
    staff: Person

    async def licensed(self, api: Api, state: str = "NY") -> None:
        await a_license(api, self.practice.provider, state, self.staff)

    async def credentialed(self, api: Api, state: str = "NY") -> None:
        credential_id = await a_credential(api, self.practice.provider, state)
        request = {"credentialId": credential_id, "approve": True}
        await succeed(
            api, COMPLETE_CREDENTIALING, "completeCredentialing", request, self.staff.token
        )

    async def insured(self, api: Api, in_network: bool) -> None:
        request = {"clientId": self.client_id, "payerName": "Aetna", "inNetwork": in_network}
        await succeed(api, SET_INSURANCE, "setInsurance", request, self.client.token)

    async def located(self, api: Api, state: str = "NY", who: Person | None = None) -> str:
        person = who or self.client
        request = {"clientId": person.client_id, "state": state, "label": "Home"}
        payload = await succeed(
            api, ADD_CLIENT_LOCATION, "addClientLocation", request, person.token
        )
        location_id: str = payload["clientLocation"]["id"]
        return location_id

    async def past_session(self, **kw: Any) -> str:
        return await a_past_appointment(self.practice.provider, self.client, **kw)


async def care(api: Api, practice: Practice | None = None) -> Care:
    practice = practice or await a_practice(api, offersInPerson=True, officeState="NY")
    cleo = await a_client(api, "cleo@example.com", "Cleo Client")
    client_id = await on_roster(api, practice.provider, practice.id, cleo)
    return Care(practice, cleo, client_id, await a_staff_member(api))


async def confirm(
    api: Api,
    token: str,
    appointment_id: str,
    location_id: str | None,
    billing: str = "PRIVATE_PAY",
    audio_only: bool = False,
) -> dict[str, Any]:
    request = {
        "appointmentId": appointment_id,
        "clientLocationId": location_id,
        "billingType": billing,
        "audioOnly": audio_only,
    }
    return await mutate(api, CONFIRM_SESSION, "confirmSession", request, token)


async def refused(
    api: Api, token: str, appointment_id: str, location_id: str | None, code: str, **kw: Any
) -> None:
    """Refused with `code`: no row written or changed, no payout, no mail."""
    before = await written()
    rows = await Appointment.all().order_by("id").values()
    payload = await confirm(api, token, appointment_id, location_id, **kw)
    assert (payload["appointment"], codes(payload)) == (None, [code])
    assert await written() == before
    assert await Appointment.all().order_by("id").values() == rows


# ---------------------------------------------------------------- success


async def test_provider_confirms_a_private_pay_telehealth_session(
    api: Api, smtp_server: SmtpServer
) -> None:
    team = await care(api)
    await team.licensed(api)
    location_id = await team.located(api)
    session_id = await team.past_session()
    before = utcnow().replace(microsecond=0)
    payload = await confirm(api, team.practice.token, session_id, location_id)
    assert payload["errors"] == []
    confirmed = payload["appointment"]
    assert (confirmed["status"], confirmed["billingType"]) == ("CONFIRMED", "PRIVATE_PAY")
    assert confirmed["clientLocation"] == {"id": location_id, "state": "NY"}
    assert before <= at(confirmed["confirmedAt"]) <= utcnow()
    payout = await Payout.get()
    assert (payout.status, payout.appointment_id) == (
        PayoutStatus.PENDING,
        (await Appointment.get()).id,
    )
    await smtp_server.wait_for(team.client.email, kind="session_confirmed")


async def test_provider_confirms_an_insurance_session_when_credentialed(api: Api) -> None:
    team = await care(api)
    await team.licensed(api)
    await team.credentialed(api)
    await team.insured(api, in_network=True)
    location_id = await team.located(api)
    payload = await confirm(
        api, team.practice.token, await team.past_session(), location_id, "INSURANCE"
    )
    assert (payload["errors"], payload["appointment"]["billingType"]) == ([], "INSURANCE")


async def test_in_person_session_is_licensed_by_the_office_state(api: Api) -> None:
    team = await care(api)  # office in NY
    await team.licensed(api, "NY")
    session_id = await team.past_session(modality=Modality.IN_PERSON)
    payload = await confirm(api, team.practice.token, session_id, None)
    assert (payload["errors"], payload["appointment"]["clientLocation"]) == ([], None)


async def test_a_group_providers_session_leaves_a_pending_payout_for_the_group(api: Api) -> None:
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    group_id = await a_group(api, owner)
    member = await a_group_provider(api, group_id, owner, "gale@example.com")
    team = await care(api, await make_bookable(api, member))
    await team.licensed(api)
    session_id = await team.past_session()
    await succeed(
        api,
        CONFIRM_SESSION,
        "confirmSession",
        {
            "appointmentId": session_id,
            "clientLocationId": await team.located(api),
            "billingType": "PRIVATE_PAY",
        },
        member.token,
    )
    payouts = (await api.data(PAYOUTS, {"groupId": group_id}, token=owner.token))["payouts"]
    assert payouts == [{"status": "PENDING", "appointment": {"id": session_id}}]


# ---------------------------------------------------------------- refusals, in order


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (AppointmentKind.SESSION, AppointmentStatus.CANCELLED),
        (AppointmentKind.SESSION, AppointmentStatus.CONFIRMED),
        (AppointmentKind.PHONE_CONSULTATION, AppointmentStatus.SCHEDULED),
    ],
)
async def test_only_scheduled_sessions_are_confirmed(
    api: Api, kind: AppointmentKind, status: AppointmentStatus
) -> None:
    team = await care(api)
    await team.licensed(api)
    location_id = await team.located(api)
    modality = Modality.PHONE if kind == AppointmentKind.PHONE_CONSULTATION else Modality.TELEHEALTH
    session_id = await team.past_session(kind=kind, status=status, modality=modality)
    await refused(api, team.practice.token, session_id, location_id, "INVALID_STATUS")


async def test_a_cancelled_future_session_is_an_invalid_status_first(api: Api) -> None:
    team = await care(api)
    session_id = await team.past_session(minutes_ago=-60 * 24, status=AppointmentStatus.CANCELLED)
    await refused(api, team.practice.token, session_id, None, "INVALID_STATUS", audio_only=True)


async def test_a_session_is_confirmed_only_once_it_has_started(api: Api) -> None:
    team = await care(api)
    await team.licensed(api)
    location_id = await team.located(api)
    session = await scheduled(api, team.practice, team.client_id, local(2, "10:00"))
    await refused(
        api, team.practice.token, session["id"], location_id, "SESSION_NOT_STARTED", audio_only=True
    )


async def test_an_audio_only_session_is_refused(api: Api) -> None:
    team = await care(api)
    session_id = await team.past_session()
    await refused(
        api, team.practice.token, session_id, None, "AUDIO_ONLY_NOT_PERMITTED", audio_only=True
    )


@pytest.mark.parametrize("whose", ["none", "another client's"])
async def test_telehealth_session_needs_this_clients_location(api: Api, whose: str) -> None:
    team = await care(api)  # not licensed anywhere either: the location comes first
    location_id = None
    if whose != "none":
        dan = await a_client(api, "dan@example.com", "Dan Doe")
        location_id = await team.located(api, "NY", who=dan)
    await refused(
        api, team.practice.token, await team.past_session(), location_id, "CLIENT_LOCATION_REQUIRED"
    )


@pytest.mark.parametrize("license_state", [None, "NJ", "pending NY"])
async def test_provider_must_be_licensed_where_the_client_is(
    api: Api, license_state: str | None
) -> None:
    team = await care(api)
    if license_state == "pending NY":
        await a_license(api, team.practice.provider, "NY")  # never verified
    elif license_state is not None:
        await team.licensed(api, license_state)
    location_id = await team.located(api, "NY")
    await refused(
        api, team.practice.token, await team.past_session(), location_id, "NOT_LICENSED_IN_STATE"
    )


async def test_in_person_session_outside_the_licensed_state_is_refused(api: Api) -> None:
    team = await care(api)  # office in NY
    await team.licensed(api, "NJ")
    session_id = await team.past_session(modality=Modality.IN_PERSON)
    await refused(api, team.practice.token, session_id, None, "NOT_LICENSED_IN_STATE")


async def test_insurance_billing_needs_credentialing_in_the_state(api: Api) -> None:
    team = await care(api)
    await team.licensed(api)
    await team.insured(api, in_network=True)
    location_id = await team.located(api)
    session_id = await team.past_session()
    await refused(
        api,
        team.practice.token,
        session_id,
        location_id,
        "NOT_CREDENTIALED_IN_STATE",
        billing="INSURANCE",
    )


@pytest.mark.parametrize("insurance", [None, "out-of-network"])
async def test_insurance_billing_needs_an_in_network_insurance(
    api: Api, insurance: str | None
) -> None:
    team = await care(api)
    await team.licensed(api)
    await team.credentialed(api)
    if insurance is not None:
        await team.insured(api, in_network=False)
    location_id = await team.located(api)
    session_id = await team.past_session()
    await refused(
        api,
        team.practice.token,
        session_id,
        location_id,
        "NO_IN_NETWORK_INSURANCE",
        billing="INSURANCE",
    )


@pytest.mark.parametrize("credentialed", [True, False])
async def test_in_network_client_is_not_private_pay(api: Api, credentialed: bool) -> None:
    team = await care(api)
    await team.licensed(api)
    if credentialed:
        await team.credentialed(api)
    await team.insured(api, in_network=True)
    location_id = await team.located(api)
    session_id = await team.past_session()
    await refused(api, team.practice.token, session_id, location_id, "PRIVATE_PAY_NOT_ALLOWED")


@pytest.mark.parametrize("also_a_provider", [False, True])
async def test_client_cannot_confirm_their_session(api: Api, also_a_provider: bool) -> None:
    team = await care(api)
    if also_a_provider:  # a clinician who is someone else's client
        request = provider_input("Cleo Client")
        await succeed(api, BECOME_PROVIDER, "becomeProvider", request, team.client.token)
    await team.licensed(api)
    location_id = await team.located(api)
    session_id = await team.past_session()
    await refused(api, team.client.token, session_id, location_id, "PROVIDER_ONLY")


async def test_a_session_can_be_confirmed_a_minute_after_it_starts(api: Api) -> None:
    team = await care(api)
    await team.licensed(api)
    location_id = await team.located(api)
    session_id = await team.past_session(minutes_ago=1)
    payload = await confirm(api, team.practice.token, session_id, location_id)
    assert payload["errors"] == []
    assert utcnow() - at(payload["appointment"]["confirmedAt"]) < timedelta(minutes=1)
