"""Status changes are guarded in their own transaction: a session confirmed while it is
being cancelled (or moved) ends one way or the other, never both; likewise a provider's
status, a license or credentialing decision, a removal, a booking link closed by an
archive, and the default telehealth location. Each pair starts a little further apart
at each attempt, so that one attempt catches the other inside its read-check-write."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest

from carepath.models import (
    Appointment,
    AuditEvent,
    Credential,
    License,
    Payout,
    Provider,
    ProviderRemovalRequest,
    TelehealthLocation,
)
from carepath.models.enums import (
    AppointmentStatus,
    CredentialingStatus,
    ProviderStatus,
    VerificationStatus,
)
from carepath.schema.ids import pk_of
from tests.practice_steps import (
    ADD_TELEHEALTH_LOCATION,
    ARCHIVE_PROVIDER,
    COMPLETE_CREDENTIALING,
    COMPLETE_REMOVAL,
    REQUEST_REMOVAL,
    REVIEW_LICENSE,
    UNARCHIVE_PROVIDER,
    a_client,
    a_credential,
    a_license,
    a_provider,
    a_staff_member,
    a_team,
    codes,
    mutate,
    provider_row,
    succeed,
)
from tests.scheduling_steps import (
    CANCEL_APPOINTMENT,
    MY_PLATFORMS,
    RESCHEDULE_APPOINTMENT,
    UPDATE_TELEHEALTH_LOCATION,
    book,
    iso,
    local,
    make_bookable,
)
from tests.support import Api
from tests.test_confirm_session import care, confirm
from tests.test_providers import UPDATE_PROVIDER

ATTEMPTS = 12
STAGGER = 0.002  # seconds between the two starts, times the attempt's number


async def later(delay: float, work: Any) -> dict[str, Any]:
    await asyncio.sleep(delay)
    result: dict[str, Any] = await work
    return result


async def at_once(
    step: int, first: Awaitable[dict[str, Any]], second: Awaitable[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both payloads; the second mutation starts `step` staggers after the first."""
    one, two = await asyncio.gather(first, later(STAGGER * step, second))
    return one, two


def one_wins(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Exactly one of the two succeeded and the other was refused INVALID_STATUS."""
    return sorted([codes(first), codes(second)]) == [[], ["INVALID_STATUS"]]


async def test_a_session_confirmed_while_it_is_cancelled_is_one_or_the_other(api: Api) -> None:
    team = await care(api)
    await team.licensed(api)
    location_id = await team.located(api)
    token = team.practice.token
    for step in range(ATTEMPTS):  # the cancel starts at a different moment of the confirm
        session_id = await team.past_session(minutes_ago=30 + 60 * step)
        cancel = mutate(api, CANCEL_APPOINTMENT, "cancelAppointment",
                        {"appointmentId": session_id, "reason": None}, token)  # fmt: skip
        confirmed, cancelled = await asyncio.gather(
            confirm(api, token, session_id, location_id), later(0.002 * step, cancel)
        )
        outcomes = sorted([codes(confirmed), codes(cancelled)])
        assert outcomes == [[], ["INVALID_STATUS"]], (step, outcomes)
    for row in await Appointment.filter(status=AppointmentStatus.CANCELLED):
        assert not await Payout.filter(appointment_id=row.id).exists()
    assert (
        await Payout.all().count()
        + await Appointment.filter(status=AppointmentStatus.CANCELLED).count()
        == ATTEMPTS
    )


async def test_a_session_confirmed_while_it_is_moved_keeps_its_time(api: Api) -> None:
    team = await care(api)
    await team.licensed(api)
    location_id = await team.located(api)
    token = team.practice.token
    for step in range(ATTEMPTS):
        session_id = await team.past_session(minutes_ago=30 + 60 * step)
        before = await Appointment.get(id=pk_of(session_id, "Appointment"))
        move = {"appointmentId": session_id, "startsAt": iso(local(3 + step, "10:00"))}
        moved = mutate(api, RESCHEDULE_APPOINTMENT, "rescheduleAppointment", move, token)
        confirmed, rescheduled = await asyncio.gather(
            confirm(api, token, session_id, location_id), later(0.002 * step, moved)
        )
        outcomes = sorted([codes(confirmed), codes(rescheduled)])
        assert outcomes in ([[], ["INVALID_STATUS"]], [[], ["SESSION_NOT_STARTED"]]), step
        after = await Appointment.get(id=before.id)
        if after.status == AppointmentStatus.CONFIRMED:  # a session confirmed where it was
            assert after.starts_at == before.starts_at, step
        else:
            assert after.starts_at != before.starts_at and not await Payout.exists(
                appointment_id=after.id
            ), step


@pytest.mark.parametrize(
    ("document", "name", "before"),
    [
        (ARCHIVE_PROVIDER, "archiveProvider", ProviderStatus.ACTIVE),
        (UNARCHIVE_PROVIDER, "unarchiveProvider", ProviderStatus.ARCHIVED),
    ],
)
async def test_a_removal_requested_while_the_provider_is_archived_or_unarchived_stands(
    api: Api, document: str, name: str, before: ProviderStatus
) -> None:
    team = await a_team(api)
    provider = await provider_row(team.member)
    request = {"providerId": team.member.provider_id}
    for step in range(ATTEMPTS):
        await ProviderRemovalRequest.all().delete()
        await Provider.filter(id=provider.id).update(status=before)
        removal = mutate(api, REQUEST_REMOVAL, "requestProviderRemoval", request, team.owner.token)
        change = mutate(api, document, name, request, team.admin.token)
        requested, changed = await at_once(step, removal, change)
        assert codes(requested) == [] and codes(changed) in ([], ["INVALID_STATUS"]), step
        # Whichever came first, the pending request leaves the provider awaiting removal.
        after = await Provider.get(id=provider.id)
        assert after.status == ProviderStatus.REMOVAL_REQUESTED, (step, codes(changed))


async def test_a_removal_completed_twice_at_once_completes_once(api: Api) -> None:
    team = await a_team(api)
    request = {"providerId": team.member.provider_id}
    payload = await succeed(
        api, REQUEST_REMOVAL, "requestProviderRemoval", request, team.owner.token
    )
    completion = {"removalRequestId": payload["removalRequest"]["id"]}
    staff = [await a_staff_member(api), await a_staff_member(api, "ops2@carepath.test")]
    first, second = await asyncio.gather(
        *(mutate(api, COMPLETE_REMOVAL, "completeProviderRemoval", completion, s.token)
          for s in staff)
    )  # fmt: skip
    assert one_wins(first, second)
    assert await AuditEvent.filter(action="complete_provider_removal").count() == 1
    assert (await provider_row(team.member)).status == ProviderStatus.REMOVED


async def test_two_opposite_reviews_of_a_license_at_once_leave_one_decision(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    staff = [await a_staff_member(api), await a_staff_member(api, "ops2@carepath.test")]
    for step in range(ATTEMPTS):
        license_id = await a_license(api, ann, "NY", number=f"LIC-{step}")
        verdicts = [
            mutate(api, REVIEW_LICENSE, "reviewLicense",
                   {"licenseId": license_id, "approve": approve}, person.token)
            for approve, person in zip((True, False), staff, strict=True)
        ]  # fmt: skip
        approved, rejected = await at_once(step, *verdicts)
        assert one_wins(approved, rejected), (step, codes(approved), codes(rejected))
        decided = (
            VerificationStatus.VERIFIED if approved["license"] else VerificationStatus.REJECTED
        )
        assert (await License.get(id=pk_of(license_id, "License"))).status == decided, step
    assert await AuditEvent.filter(action="review_license").count() == ATTEMPTS


async def test_two_opposite_credentialing_decisions_at_once_leave_one(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    staff = [await a_staff_member(api), await a_staff_member(api, "ops2@carepath.test")]
    await a_license(api, ann, "NY", staff=staff[0])
    credential_id = await a_credential(api, ann, "NY")
    pk = pk_of(credential_id, "Credential")
    for step in range(ATTEMPTS):
        await Credential.filter(id=pk).update(status=CredentialingStatus.IN_PROGRESS)
        verdicts = [
            mutate(api, COMPLETE_CREDENTIALING, "completeCredentialing",
                   {"credentialId": credential_id, "approve": approve}, person.token)
            for approve, person in zip((True, False), staff, strict=True)
        ]  # fmt: skip
        approved, denied = await at_once(step, *verdicts)
        assert one_wins(approved, denied), (step, codes(approved), codes(denied))
        decided = (
            CredentialingStatus.CREDENTIALED
            if approved["credential"]
            else CredentialingStatus.DENIED
        )
        assert (await Credential.get(id=pk)).status == decided, step


async def test_the_same_decision_twice_is_no_change_and_the_opposite_is_refused(
    api: Api,
) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    staff = await a_staff_member(api)
    license_id = await a_license(api, ann, "NY", staff=staff)  # verified once
    again = {"licenseId": license_id, "approve": True}
    payload = await succeed(api, REVIEW_LICENSE, "reviewLicense", again, staff.token)
    assert payload["license"]["status"] == "VERIFIED"
    reversed_ = await mutate(
        api, REVIEW_LICENSE, "reviewLicense", again | {"approve": False}, staff.token
    )
    assert (reversed_["license"], codes(reversed_)) == (None, ["INVALID_STATUS"])
    assert (await License.get()).status == VerificationStatus.VERIFIED
    assert await AuditEvent.filter(action="review_license").count() == 1


async def test_a_booking_while_the_provider_is_archived_lands_before_it_or_is_refused(
    api: Api,
) -> None:
    team = await a_team(api)
    practice = await make_bookable(api, team.member)
    provider = await provider_row(team.member)
    request = {"providerId": team.member.provider_id}
    for step in range(ATTEMPTS):
        await Provider.filter(id=provider.id).update(status=ProviderStatus.ACTIVE)
        client = await a_client(api, f"client{step}@example.com")
        booking = book(api, client, practice.slug, local(3 + step, "10:00"))
        archive = mutate(api, ARCHIVE_PROVIDER, "archiveProvider", request, team.owner.token)
        booked, archived = await at_once(step, booking, archive)
        assert codes(archived) == [], step
        if codes(booked) == ["PROVIDER_ARCHIVED"]:
            continue
        assert codes(booked) == [], step
        # Both went through: then the booking committed while the provider was active.
        appointment_id = pk_of(booked["appointment"]["id"], "Appointment")
        booked_row = await AuditEvent.get(action="book_first_appointment", object_id=appointment_id)
        archived_row = await AuditEvent.filter(action="archive_provider").order_by("-id").first()
        assert archived_row is not None and booked_row.id < archived_row.id, step


async def test_a_profile_update_while_the_provider_is_archived_keeps_the_archive(
    api: Api,
) -> None:
    team = await a_team(api)
    provider = await provider_row(team.member)
    request = {"providerId": team.member.provider_id}
    for step in range(ATTEMPTS):
        await Provider.filter(id=provider.id).update(status=ProviderStatus.ACTIVE)
        update = mutate(api, UPDATE_PROVIDER, "updateProvider",
                        request | {"bio": f"Version {step}"}, team.member.token)  # fmt: skip
        archive = mutate(api, ARCHIVE_PROVIDER, "archiveProvider", request, team.owner.token)
        archived, updated = await at_once(step, archive, update)
        assert (codes(updated), codes(archived)) == ([], []), step
        after = await Provider.get(id=provider.id)
        assert (after.status, after.bio) == (ProviderStatus.ARCHIVED, f"Version {step}"), step


async def test_a_platform_renamed_while_another_becomes_default_leaves_one_default(
    api: Api,
) -> None:
    team = await a_team(api)
    await make_bookable(api, team.member)
    provider = await provider_row(team.member)
    me = (await api.data(MY_PLATFORMS, token=team.member.token))["me"]["providerProfile"]
    first_id = me["telehealthLocations"][0]["id"]
    first_pk = pk_of(first_id, "TelehealthLocation")
    for step in range(ATTEMPTS):
        await TelehealthLocation.filter(provider_id=provider.id).update(is_default=False)
        await TelehealthLocation.filter(id=first_pk).update(is_default=True)
        rename = mutate(api, UPDATE_TELEHEALTH_LOCATION, "updateTelehealthLocation",
                        {"telehealthLocationId": first_id, "name": f"Room {step}"},
                        team.member.token)  # fmt: skip
        platform = {"name": f"Other {step}", "url": f"https://doxy.me/room-{step}"}
        add = mutate(api, ADD_TELEHEALTH_LOCATION, "addTelehealthLocation",
                     platform | {"hipaaCompliant": True, "baaSigned": True,
                                 "waitingRoomEnabled": True, "makeDefault": True},
                     team.member.token)  # fmt: skip
        renamed, added = await at_once(step, rename, add)
        assert (codes(renamed), codes(added)) == ([], []), step
        defaults = TelehealthLocation.filter(provider_id=provider.id, is_default=True)
        assert await defaults.count() == 1, step
