"""Provider profiles through the API: becoming one, updating, availability, the directory."""

from __future__ import annotations

import re
from typing import Any

import pytest

from carepath.models import AvailabilityWindow, License, Provider
from carepath.models.enums import ProviderStatus, UsState, VerificationStatus
from tests.practice_steps import (
    BECOME_PROVIDER,
    PROVIDER_FIELDS,
    Person,
    a_client,
    a_provider,
    codes,
    db_state,
    mutate,
    provider_input,
    provider_row,
    succeed,
)
from tests.support import Api, error_codes

ME = """
query { me { roles providerProfile { id displayName bookingSlug status } clientProfile { id } } }
"""
UPDATE_PROVIDER = (
    """
mutation UpdateProvider($input: UpdateProviderInput!) {
  updateProvider(input: $input) { provider { ...ProviderFields } errors { code field message } }
}
"""
    + PROVIDER_FIELDS
)
SET_AVAILABILITY = """
mutation SetAvailability($input: SetAvailabilityInput!) {
  setAvailability(input: $input) {
    provider { id availability { weekday start end } } errors { code field message }
  }
}
"""
DIRECTORY = """
query Directory($state: UsState, $modality: Modality) {
  providers(state: $state, modality: $modality) { edges { node { id displayName } } }
}
"""
BY_SLUG = """
query BySlug($slug: String!) {
  providerByBookingSlug(slug: $slug) { id displayName availability { weekday start end } }
}
"""
NINE_TO_FIVE = [{"weekday": 1, "start": "09:00", "end": "17:00"}]


async def windows_of(person: Person) -> list[tuple[int, int, int]]:
    rows = await AvailabilityWindow.filter(provider_id=(await provider_row(person)).id)
    return sorted((w.weekday, w.start_minute, w.end_minute) for w in rows)


async def directory(api: Api, token: str | None = None, **filters: Any) -> list[str]:
    data = await api.data(DIRECTORY, filters, token=token)
    return sorted(edge["node"]["displayName"] for edge in data["providers"]["edges"])


async def test_verified_user_becomes_a_provider(api: Api) -> None:
    ann = await a_client(api, "ann@example.com", "Ann Lee")
    payload = await succeed(
        api,
        BECOME_PROVIDER,
        "becomeProvider",
        provider_input("Ann Lee, LCSW", offersInPerson=True, officeState="NY"),
        ann.token,
    )
    provider = payload["provider"]
    assert provider["displayName"] == "Ann Lee, LCSW"
    assert (provider["offersInPerson"], provider["officeState"]) == (True, "NY")
    assert (provider["status"], provider["group"]) == ("ACTIVE", None)
    me = (await api.data(ME, token=ann.token))["me"]
    assert set(me["roles"]) == {"CLIENT", "PROVIDER"}
    assert me["providerProfile"]["id"] == provider["id"]
    row = await Provider.get(user_id=ann.pk)
    assert (row.display_name, row.time_zone) == ("Ann Lee, LCSW", "America/New_York")


async def test_unverified_user_cannot_become_a_provider(api: Api) -> None:
    ann = await a_client(api, "ann@example.com", verified=False)
    payload = await mutate(api, BECOME_PROVIDER, "becomeProvider", provider_input("Ann"), ann.token)
    assert (payload["provider"], codes(payload)) == (None, ["EMAIL_NOT_VERIFIED"])
    assert await Provider.all().count() == 0


async def test_unverified_email_is_reported_before_a_bad_time_zone(api: Api) -> None:
    ann = await a_client(api, "ann@example.com", verified=False)
    bad = provider_input("Ann", timeZone="Mars/Olympus_Mons")
    payload = await mutate(api, BECOME_PROVIDER, "becomeProvider", bad, ann.token)
    assert codes(payload) == ["EMAIL_NOT_VERIFIED"]
    assert await Provider.all().count() == 0


async def test_anonymous_caller_cannot_become_a_provider(api: Api) -> None:
    result = await api(BECOME_PROVIDER, {"input": provider_input("Ann")})
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert await Provider.all().count() == 0


async def test_in_person_provider_needs_an_office_state(api: Api) -> None:
    ann = await a_client(api, "ann@example.com")
    bad = provider_input("Ann", offersInPerson=True)
    payload = await mutate(api, BECOME_PROVIDER, "becomeProvider", bad, ann.token)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "officeState")]
    assert payload["provider"] is None
    assert await Provider.all().count() == 0


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../../etc/passwd", "UTC+25"])
async def test_time_zone_must_be_an_iana_zone(api: Api, zone: str) -> None:
    ann = await a_client(api, "ann@example.com")
    bad = provider_input("Ann", timeZone=zone)
    payload = await mutate(api, BECOME_PROVIDER, "becomeProvider", bad, ann.token)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "timeZone")]
    assert await Provider.all().count() == 0


async def test_booking_slug_is_a_lowercase_url_safe_form_of_the_display_name(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Dr. Ana Lopez")
    slug = (await provider_row(ann)).booking_slug
    assert re.fullmatch(r"[a-z0-9._~-]+", slug), slug
    assert "ana" in slug and "lopez" in slug


async def test_same_display_name_gets_a_different_booking_slug(api: Api) -> None:
    first = await a_provider(api, "sam1@example.com", "Sam Lee")
    second = await a_provider(api, "sam2@example.com", "Sam Lee")
    slugs = [(await provider_row(p)).booking_slug for p in (first, second)]
    assert slugs[0] != slugs[1]
    assert all("sam" in slug and re.fullmatch(r"[a-z0-9._~-]+", slug) for slug in slugs)
    found = await api.data(BY_SLUG, {"slug": slugs[1]})
    assert found["providerByBookingSlug"]["id"] == second.provider_id


async def test_provider_updates_their_own_profile(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    change = {
        "providerId": ann.provider_id,
        "displayName": "Ann Lee, PhD",
        "intakeMode": "FULL_SESSION",
        "offersInPerson": True,
        "officeState": "CA",
        "timeZone": "America/Los_Angeles",
    }
    payload = await succeed(api, UPDATE_PROVIDER, "updateProvider", change, ann.token)
    provider = payload["provider"]
    assert (provider["displayName"], provider["intakeMode"]) == ("Ann Lee, PhD", "FULL_SESSION")
    assert (provider["officeState"], provider["timeZone"]) == ("CA", "America/Los_Angeles")
    row = await provider_row(ann)
    assert (row.display_name, row.office_state, row.offers_in_person) == (
        "Ann Lee, PhD",
        "CA",
        True,
    )


async def test_provider_cannot_update_another_providers_profile(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    bob = await a_provider(api, "bob@example.com", "Bob")
    before = await db_state()
    change = {"providerId": ann.provider_id, "displayName": "Hijacked"}
    payload = await mutate(api, UPDATE_PROVIDER, "updateProvider", change, bob.token)
    assert (payload["provider"], codes(payload)) == (None, ["FORBIDDEN"])
    assert await db_state() == before


async def test_another_providers_profile_is_forbidden_before_a_bad_time_zone(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    bob = await a_provider(api, "bob@example.com", "Bob")
    change = {"providerId": ann.provider_id, "timeZone": "Mars/Olympus_Mons"}
    payload = await mutate(api, UPDATE_PROVIDER, "updateProvider", change, bob.token)
    assert codes(payload) == ["FORBIDDEN"]


@pytest.mark.parametrize("bad_id", ["not-an-id", "client"])
async def test_updating_an_unknown_provider_is_not_found(api: Api, bad_id: str) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    provider_id = ann.client_id if bad_id == "client" else bad_id  # another type's id
    before = await db_state()
    change = {"providerId": provider_id, "displayName": "Ghost"}
    payload = await mutate(api, UPDATE_PROVIDER, "updateProvider", change, ann.token)
    assert (payload["provider"], codes(payload)) == (None, ["NOT_FOUND"])
    assert await db_state() == before


async def test_turning_on_in_person_sessions_needs_an_office_state(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    change = {"providerId": ann.provider_id, "offersInPerson": True}
    payload = await mutate(api, UPDATE_PROVIDER, "updateProvider", change, ann.token)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "officeState")]
    assert (await provider_row(ann)).offers_in_person is False


async def test_update_refuses_an_invalid_time_zone(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    change = {"providerId": ann.provider_id, "timeZone": "Mars/Olympus_Mons"}
    payload = await mutate(api, UPDATE_PROVIDER, "updateProvider", change, ann.token)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "timeZone")]
    assert (await provider_row(ann)).time_zone == "America/New_York"


async def test_provider_sets_weekly_availability_with_a_window_ending_at_midnight(
    api: Api,
) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    windows = [
        {"weekday": 1, "start": "09:00", "end": "12:00"},
        {"weekday": 1, "start": "12:00", "end": "13:30"},  # back to back: no overlap
        {"weekday": 7, "start": "18:00", "end": "24:00"},
    ]
    request = {"providerId": ann.provider_id, "windows": windows}
    payload = await succeed(api, SET_AVAILABILITY, "setAvailability", request, ann.token)
    returned = payload["provider"]["availability"]
    assert sorted(returned, key=lambda w: (w["weekday"], w["start"])) == windows
    assert await windows_of(ann) == [(1, 540, 720), (1, 720, 810), (7, 1080, 1440)]


async def test_new_availability_replaces_the_previous_one(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    first = {"providerId": ann.provider_id, "windows": NINE_TO_FIVE}
    await succeed(api, SET_AVAILABILITY, "setAvailability", first, ann.token)
    second = {
        "providerId": ann.provider_id,
        "windows": [{"weekday": 3, "start": "08:15", "end": "10:45"}],
    }
    payload = await succeed(api, SET_AVAILABILITY, "setAvailability", second, ann.token)
    assert payload["provider"]["availability"] == second["windows"]
    assert await windows_of(ann) == [(3, 495, 645)]


async def test_an_empty_list_clears_availability(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    await succeed(
        api,
        SET_AVAILABILITY,
        "setAvailability",
        {"providerId": ann.provider_id, "windows": NINE_TO_FIVE},
        ann.token,
    )
    request: dict[str, Any] = {"providerId": ann.provider_id, "windows": []}
    payload = await succeed(api, SET_AVAILABILITY, "setAvailability", request, ann.token)
    assert payload["provider"]["availability"] == []
    assert await windows_of(ann) == []


def window(weekday: int = 2, start: str = "09:00", end: str = "17:00") -> dict[str, Any]:
    return {"weekday": weekday, "start": start, "end": end}


@pytest.mark.parametrize(
    ("windows", "fields"),
    [
        ([window(weekday=0)], {"windows.0.weekday"}),
        ([window(weekday=8)], {"windows.0.weekday"}),
        ([window(start="nine")], {"windows.0.start"}),
        ([window(start="09:60")], {"windows.0.start"}),
        ([window(start="25:00", end="26:00")], {"windows.0.start"}),
        ([window(end="24:30")], {"windows.0.end"}),
        ([window(), window(end="5pm")], {"windows.1.end"}),
        ([window(start="17:00", end="09:00")], {"windows.0.start", "windows.0.end"}),
        ([window(start="10:00", end="10:00")], {"windows.0.start", "windows.0.end"}),
        ([window(start="22:00", end="02:00")], {"windows.0.start", "windows.0.end"}),
        (
            [window(start="09:00", end="12:00"), window(start="11:00", end="13:00")],
            {"windows.0.start", "windows.0.end", "windows.1.start", "windows.1.end"},
        ),
    ],
    ids=[
        "weekday-0",
        "weekday-8",
        "not-a-time",
        "minute-60",
        "hour-25",
        "past-midnight",
        "second-window",
        "ends-before-start",
        "empty",
        "crosses-midnight",
        "overlapping",
    ],
)
async def test_malformed_availability_is_refused_and_keeps_the_previous_windows(
    api: Api, windows: list[dict[str, Any]], fields: set[str]
) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    await succeed(
        api,
        SET_AVAILABILITY,
        "setAvailability",
        {"providerId": ann.provider_id, "windows": NINE_TO_FIVE},
        ann.token,
    )
    request = {"providerId": ann.provider_id, "windows": windows}
    payload = await mutate(api, SET_AVAILABILITY, "setAvailability", request, ann.token)
    [error] = payload["errors"]
    assert error["code"] == "VALIDATION" and error["field"] in fields, error
    assert await windows_of(ann) == [(1, 540, 1020)]


async def test_provider_cannot_set_another_providers_availability(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    bob = await a_provider(api, "bob@example.com", "Bob")
    request = {"providerId": ann.provider_id, "windows": NINE_TO_FIVE}
    payload = await mutate(api, SET_AVAILABILITY, "setAvailability", request, bob.token)
    assert (payload["provider"], codes(payload)) == (None, ["FORBIDDEN"])
    assert await windows_of(ann) == []


async def test_availability_of_an_unknown_provider_is_not_found_before_validation(
    api: Api,
) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    request = {"providerId": "not-an-id", "windows": [window(weekday=9)]}
    payload = await mutate(api, SET_AVAILABILITY, "setAvailability", request, ann.token)
    assert codes(payload) == ["NOT_FOUND"]
    assert await AvailabilityWindow.all().count() == 0


@pytest.mark.parametrize(
    "status",
    [ProviderStatus.ARCHIVED, ProviderStatus.REMOVAL_REQUESTED, ProviderStatus.REMOVED],
)
async def test_only_active_providers_are_public(api: Api, status: ProviderStatus) -> None:
    await a_provider(api, "ann@example.com", "Ann")
    bob = await a_provider(api, "bob@example.com", "Bob")
    # Model given-step: the group flows that reach these statuses are tested in test_groups.
    await Provider.filter(user_id=bob.pk).update(status=status)
    assert await directory(api) == ["Ann"]
    slug = (await provider_row(bob)).booking_slug
    assert (await api.data(BY_SLUG, {"slug": slug}))["providerByBookingSlug"] is None


async def test_booking_link_shows_the_public_profile_to_anyone(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    await succeed(
        api,
        SET_AVAILABILITY,
        "setAvailability",
        {"providerId": ann.provider_id, "windows": NINE_TO_FIVE},
        ann.token,
    )
    slug = (await provider_row(ann)).booking_slug
    found = (await api.data(BY_SLUG, {"slug": slug}))["providerByBookingSlug"]
    assert found == {"id": ann.provider_id, "displayName": "Ann", "availability": NINE_TO_FIVE}
    assert (await api.data(BY_SLUG, {"slug": "no-such-provider"}))["providerByBookingSlug"] is None


async def test_directory_by_state_lists_providers_with_a_verified_license_there(
    api: Api,
) -> None:
    statuses = {
        "Verified NY": ("NY", VerificationStatus.VERIFIED),
        "Pending NY": ("NY", VerificationStatus.PENDING),
        "Rejected NY": ("NY", VerificationStatus.REJECTED),
        "Verified CA": ("CA", VerificationStatus.VERIFIED),
    }
    for index, (name, (state, status)) in enumerate(statuses.items()):
        person = await a_provider(api, f"p{index}@example.com", name)
        # Model given-step: license review through the API is tested in test_credentialing.
        await License.create(
            provider_id=(await provider_row(person)).id,
            state=UsState(state),
            number=f"L-{index}",
            status=status,
        )
    await a_provider(api, "none@example.com", "Unlicensed")
    assert await directory(api, state="NY") == ["Verified NY"]
    assert await directory(api, state="CA") == ["Verified CA"]
    assert await directory(api, state="TX") == []
    assert len(await directory(api)) == 5


async def test_directory_filters_by_modality(api: Api) -> None:
    await a_provider(api, "t@example.com", "Telehealth only")
    await a_provider(
        api,
        "i@example.com",
        "In person only",
        offersTelehealth=False,
        offersInPerson=True,
        officeState="NY",
    )
    await a_provider(api, "b@example.com", "Both", offersInPerson=True, officeState="NY")
    assert await directory(api, modality="TELEHEALTH") == ["Both", "Telehealth only"]
    assert await directory(api, modality="IN_PERSON") == ["Both", "In person only"]


async def test_directory_is_public_and_signed_in_viewers_see_the_same(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    assert await directory(api) == ["Ann"]
    assert await directory(api, token=ann.token) == ["Ann"]


async def test_directory_with_a_revoked_token_is_unauthenticated(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    await api.data("mutation { logOut { ok } }", token=ann.token)
    assert error_codes(await api(DIRECTORY, {}, token=ann.token)) == ["UNAUTHENTICATED"]


DIRECTORY_LICENSES = """
query { providers(first: 10) { edges { node { id licenses { state status } } } } }
"""
PROVIDER_LICENSES = (
    "query P($id: ID!) { node(id: $id) { ... on Provider { id licenses { state status } } } }"
)


async def test_a_providers_licenses_read_the_same_in_the_directory_as_alone(api: Api) -> None:
    """The directory loads its page's licenses up front (schema.prefetch), a single provider
    field by field: unverified licenses show to the provider themself and to no one else."""
    ann = await a_provider(api, "ann@example.com", "Ann")
    provider_id = (await provider_row(ann)).id
    for index, (state, status) in enumerate(
        [("NY", VerificationStatus.VERIFIED), ("TX", VerificationStatus.PENDING)]
    ):
        await License.create(
            provider_id=provider_id, state=UsState(state), number=f"L-{index}", status=status
        )
    other = await a_provider(api, "bob@example.com", "Bob")
    for token, states in [(None, ["NY"]), (other.token, ["NY"]), (ann.token, ["NY", "TX"])]:
        listed = (await api.data(DIRECTORY_LICENSES, token=token))["providers"]["edges"]
        alone = (await api.data(PROVIDER_LICENSES, {"id": ann.provider_id}, token=token))["node"]
        in_directory = next(
            edge["node"] for edge in listed if edge["node"]["id"] == ann.provider_id
        )
        assert in_directory == alone
        assert [license["state"] for license in alone["licenses"]] == states
