"""The audit trail is written in the transaction of the change it records: of two
conflicting mutations sent at once, the one that commits leaves exactly one audit row and
the one refused leaves none, whichever service it is."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from carepath.models import AuditEvent
from tests.practice_steps import (
    ADD_CLIENT_TO_ROSTER,
    ARCHIVE_CLIENT,
    COMPLETE_REMOVAL,
    REQUEST_REMOVAL,
    RESPOND_TO_ROSTER_INVITATION,
    REVIEW_LICENSE,
    a_client,
    a_license,
    a_provider,
    a_staff_member,
    a_team,
    codes,
    mutate,
    on_roster,
    succeed,
)
from tests.scheduling_steps import CANCEL_APPOINTMENT, MY_PLATFORMS, a_practice
from tests.support import Api
from tests.test_confirm_session import care
from tests.test_rosters import TRANSFER_CLIENT
from tests.test_telehealth import REMOVE_TELEHEALTH_LOCATION

Payload = dict[str, Any]


@dataclass
class Conflict:
    """Two mutations that cannot both commit, the audit actions either may record, and
    the code the one that loses gets."""

    first: Awaitable[Payload]
    second: Awaitable[Payload]
    actions: tuple[str, ...]
    refusal: str


async def opposite_license_reviews(api: Api) -> Conflict:
    ann = await a_provider(api, "ann@example.com", "Ann")
    staff = [await a_staff_member(api), await a_staff_member(api, "ops2@carepath.test")]
    license_id = await a_license(api, ann, "NY")
    first, second = (
        mutate(api, REVIEW_LICENSE, "reviewLicense",
               {"licenseId": license_id, "approve": approve}, person.token)
        for approve, person in zip((True, False), staff, strict=True)
    )  # fmt: skip
    return Conflict(first, second, ("review_license",), "INVALID_STATUS")


async def two_removal_completions(api: Api) -> Conflict:
    team = await a_team(api)
    request = {"providerId": team.member.provider_id}
    payload = await succeed(
        api, REQUEST_REMOVAL, "requestProviderRemoval", request, team.owner.token
    )
    completion = {"removalRequestId": payload["removalRequest"]["id"]}
    staff = [await a_staff_member(api), await a_staff_member(api, "ops2@carepath.test")]
    first, second = (
        mutate(api, COMPLETE_REMOVAL, "completeProviderRemoval", completion, person.token)
        for person in staff
    )
    return Conflict(first, second, ("complete_provider_removal",), "INVALID_STATUS")


async def accept_and_decline(api: Api) -> Conflict:
    ann = await a_provider(api, "ann@example.com", "Ann")
    cleo = await a_client(api, "cleo@example.com", "Cleo Client")
    invite = {"providerId": ann.provider_id, "email": cleo.email}
    await succeed(api, ADD_CLIENT_TO_ROSTER, "addClientToRoster", invite, ann.token)
    first, second = (
        mutate(api, RESPOND_TO_ROSTER_INVITATION, "respondToRosterInvitation",
               {"providerId": ann.provider_id, "accept": accept}, cleo.token)
        for accept in (True, False)
    )  # fmt: skip
    return Conflict(
        first, second, ("accept_roster_invitation", "decline_roster_invitation"), "NOT_FOUND"
    )


async def archive_and_transfer(api: Api) -> Conflict:
    team = await a_team(api)
    cleo = await a_client(api, "cleo@example.com", "Cleo Client")
    assert team.member.provider_id is not None
    client_id = await on_roster(api, team.member, team.member.provider_id, cleo)
    archive = {"providerId": team.member.provider_id, "clientId": client_id}
    transfer = {
        "clientId": client_id,
        "fromProviderId": team.member.provider_id,
        "toProviderId": team.owner.provider_id,
    }
    return Conflict(
        mutate(api, ARCHIVE_CLIENT, "archiveClient", archive, team.member.token),
        mutate(api, TRANSFER_CLIENT, "transferClient", transfer, team.admin.token),
        ("archive_client", "transfer_client"),
        "NOT_ON_ROSTER",
    )


async def two_cancellations(api: Api) -> Conflict:
    team = await care(api)
    session_id = await team.past_session(minutes_ago=30)
    first, second = (
        mutate(api, CANCEL_APPOINTMENT, "cancelAppointment",
               {"appointmentId": session_id, "reason": None}, team.practice.token)
        for _ in range(2)
    )  # fmt: skip
    return Conflict(first, second, ("cancel_appointment",), "INVALID_STATUS")


async def two_platform_removals(api: Api) -> Conflict:
    practice = await a_practice(api)
    me = (await api.data(MY_PLATFORMS, token=practice.token))["me"]["providerProfile"]
    removal = {"telehealthLocationId": me["telehealthLocations"][0]["id"]}
    first, second = (
        mutate(api, REMOVE_TELEHEALTH_LOCATION, "removeTelehealthLocation", removal,
               practice.token)
        for _ in range(2)
    )  # fmt: skip
    return Conflict(first, second, ("remove_telehealth_location",), "NOT_FOUND")


CONFLICTS: dict[str, Callable[[Api], Awaitable[Conflict]]] = {
    "opposite license reviews": opposite_license_reviews,
    "two removal completions": two_removal_completions,
    "an invitation accepted and declined": accept_and_decline,
    "a client archived and transferred": archive_and_transfer,
    "two cancellations": two_cancellations,
    "two removals of a telehealth platform": two_platform_removals,
}


@pytest.mark.parametrize("conflict", CONFLICTS)
async def test_the_change_that_commits_has_one_audit_row_and_the_refused_one_none(
    api: Api, conflict: str
) -> None:
    given = await CONFLICTS[conflict](api)
    before = await AuditEvent.filter(action__in=given.actions).count()
    first, second = await asyncio.gather(given.first, given.second)
    assert sorted([codes(first), codes(second)]) == [[], [given.refusal]]
    assert await AuditEvent.filter(action__in=given.actions).count() == before + 1
