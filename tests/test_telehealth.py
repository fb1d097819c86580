"""Telehealth locations: https links on compliant platforms, and exactly one default."""

from __future__ import annotations

from typing import Any

import pytest

from carepath.models import TelehealthLocation
from tests.practice_steps import (
    ADD_TELEHEALTH_LOCATION,
    COMPLIANT_PLATFORM,
    ERRORS,
    TELEHEALTH_FIELDS,
    Person,
    a_provider,
    a_team,
    codes,
    db_state,
    mutate,
    provider_row,
    succeed,
)
from tests.support import Api, error_codes

UPDATE_TELEHEALTH_LOCATION = f"""
mutation UpdateTelehealthLocation($input: UpdateTelehealthLocationInput!) {{
  updateTelehealthLocation(input: $input) {{
    telehealthLocation {{ {TELEHEALTH_FIELDS} }} {ERRORS}
  }}
}}
"""
REMOVE_TELEHEALTH_LOCATION = f"""
mutation RemoveTelehealthLocation($input: RemoveTelehealthLocationInput!) {{
  removeTelehealthLocation(input: $input) {{ ok {ERRORS} }}
}}
"""
MY_LOCATIONS = """
query { me { providerProfile { telehealthLocations { id name isDefault } } } }
"""


def platform(**overrides: Any) -> dict[str, Any]:
    return COMPLIANT_PLATFORM | overrides


async def add(api: Api, provider: Person, **overrides: Any) -> str:
    payload = await succeed(
        api, ADD_TELEHEALTH_LOCATION, "addTelehealthLocation", platform(**overrides), provider.token
    )
    location_id: str = payload["telehealthLocation"]["id"]
    return location_id


async def defaults(api: Api, provider: Person) -> dict[str, bool]:
    """Each location's name and whether it is the default, as the provider sees them."""
    me = (await api.data(MY_LOCATIONS, token=provider.token))["me"]
    return {x["name"]: x["isDefault"] for x in me["providerProfile"]["telehealthLocations"]}


async def test_provider_adds_a_compliant_https_location(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    payload = await succeed(
        api, ADD_TELEHEALTH_LOCATION, "addTelehealthLocation", platform(), ann.token
    )
    location = payload["telehealthLocation"]
    assert {k: v for k, v in location.items() if k != "id"} == COMPLIANT_PLATFORM | {
        "isDefault": True
    }
    row = await TelehealthLocation.get(provider_id=(await provider_row(ann)).id)
    assert (row.url, row.is_default) == ("https://doxy.me/dr-example", True)


@pytest.mark.parametrize(
    "url",
    [
        "http://doxy.me/dr-example",
        "https://",
        "https:///dr-example",
        "https:doxy.me/dr-example",
        "ftp://doxy.me/dr-example",
        "javascript:alert(1)",
        "doxy.me/dr-example",
        "not a url",
    ],
)
async def test_telehealth_link_must_be_an_https_url_with_a_host(api: Api, url: str) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    payload = await mutate(
        api, ADD_TELEHEALTH_LOCATION, "addTelehealthLocation", platform(url=url), ann.token
    )
    assert (payload["telehealthLocation"], codes(payload)) == (None, ["INSECURE_TELEHEALTH_LINK"])
    assert await TelehealthLocation.all().count() == 0


@pytest.mark.parametrize("attestation", ["hipaaCompliant", "baaSigned", "waitingRoomEnabled"])
async def test_platform_must_be_compliant(api: Api, attestation: str) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    payload = await mutate(
        api,
        ADD_TELEHEALTH_LOCATION,
        "addTelehealthLocation",
        platform(**{attestation: False}),
        ann.token,
    )
    assert (payload["telehealthLocation"], codes(payload)) == (None, ["NON_COMPLIANT_PLATFORM"])
    assert await TelehealthLocation.all().count() == 0


async def test_insecure_link_is_reported_before_a_non_compliant_platform(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    bad = platform(url="http://doxy.me/x", hipaaCompliant=False)
    payload = await mutate(api, ADD_TELEHEALTH_LOCATION, "addTelehealthLocation", bad, ann.token)
    assert codes(payload) == ["INSECURE_TELEHEALTH_LINK"]


async def test_anonymous_caller_cannot_add_a_location(api: Api) -> None:
    result = await api(ADD_TELEHEALTH_LOCATION, {"input": platform()})
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert await TelehealthLocation.all().count() == 0


async def test_first_location_is_the_default_even_when_not_asked(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    await add(api, ann, name="Zoom", makeDefault=False)
    assert await defaults(api, ann) == {"Zoom": True}


async def test_a_new_default_replaces_the_previous_one(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    await add(api, ann, name="Doxy")
    await add(api, ann, name="Zoom", url="https://zoom.us/j/123")
    assert await defaults(api, ann) == {"Doxy": False, "Zoom": True}
    assert await TelehealthLocation.filter(is_default=True).count() == 1


async def test_a_location_added_without_make_default_keeps_the_current_default(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    await add(api, ann, name="Doxy")
    await add(api, ann, name="Zoom", makeDefault=False)
    assert await defaults(api, ann) == {"Doxy": True, "Zoom": False}


async def test_update_can_make_another_location_the_default(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    await add(api, ann, name="Doxy")
    zoom = await add(api, ann, name="Zoom", makeDefault=False)
    change = {"telehealthLocationId": zoom, "makeDefault": True, "instructions": "Use the app."}
    payload = await succeed(
        api, UPDATE_TELEHEALTH_LOCATION, "updateTelehealthLocation", change, ann.token
    )
    location = payload["telehealthLocation"]
    assert (location["isDefault"], location["instructions"]) == (True, "Use the app.")
    assert await defaults(api, ann) == {"Doxy": False, "Zoom": True}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"url": "http://doxy.me/dr-example"}, "INSECURE_TELEHEALTH_LINK"),
        ({"url": "mailto:dr@example.com"}, "INSECURE_TELEHEALTH_LINK"),
        ({"baaSigned": False}, "NON_COMPLIANT_PLATFORM"),
        ({"waitingRoomEnabled": False}, "NON_COMPLIANT_PLATFORM"),
    ],
)
async def test_update_keeps_the_link_secure_and_the_platform_compliant(
    api: Api, change: dict[str, Any], code: str
) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    location_id = await add(api, ann)
    before = await db_state()
    payload = await mutate(
        api,
        UPDATE_TELEHEALTH_LOCATION,
        "updateTelehealthLocation",
        {"telehealthLocationId": location_id} | change,
        ann.token,
    )
    assert (payload["telehealthLocation"], codes(payload)) == (None, [code])
    assert await db_state() == before


async def test_removing_the_default_promotes_another_location(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    await add(api, ann, name="Doxy")
    zoom = await add(api, ann, name="Zoom")
    payload = await succeed(
        api,
        REMOVE_TELEHEALTH_LOCATION,
        "removeTelehealthLocation",
        {"telehealthLocationId": zoom},
        ann.token,
    )
    assert payload["ok"] is True
    assert await defaults(api, ann) == {"Doxy": True}
    assert await TelehealthLocation.all().count() == 1


async def test_removing_the_last_location_leaves_none(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    doxy = await add(api, ann, name="Doxy")
    await succeed(
        api,
        REMOVE_TELEHEALTH_LOCATION,
        "removeTelehealthLocation",
        {"telehealthLocationId": doxy},
        ann.token,
    )
    assert await defaults(api, ann) == {}
    assert await TelehealthLocation.all().count() == 0


async def test_removing_a_non_default_location_keeps_the_default(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    await add(api, ann, name="Doxy")
    zoom = await add(api, ann, name="Zoom", makeDefault=False)
    await succeed(
        api,
        REMOVE_TELEHEALTH_LOCATION,
        "removeTelehealthLocation",
        {"telehealthLocationId": zoom},
        ann.token,
    )
    assert await defaults(api, ann) == {"Doxy": True}


async def test_another_providers_location_cannot_be_updated(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    bob = await a_provider(api, "bob@example.com", "Bob")
    location_id = await add(api, ann)
    before = await db_state()
    change = {"telehealthLocationId": location_id, "url": "https://evil.example.com/x"}
    payload = await mutate(
        api, UPDATE_TELEHEALTH_LOCATION, "updateTelehealthLocation", change, bob.token
    )
    assert (payload["telehealthLocation"], codes(payload)) == (None, ["NOT_FOUND"])
    assert await db_state() == before


async def test_another_providers_location_cannot_be_removed(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    bob = await a_provider(api, "bob@example.com", "Bob")
    location_id = await add(api, ann)
    payload = await mutate(
        api,
        REMOVE_TELEHEALTH_LOCATION,
        "removeTelehealthLocation",
        {"telehealthLocationId": location_id},
        bob.token,
    )
    assert (payload["ok"], codes(payload)) == (False, ["NOT_FOUND"])
    assert await TelehealthLocation.all().count() == 1


async def test_group_admins_see_but_do_not_change_a_providers_locations(api: Api) -> None:
    team = await a_team(api)
    location_id = await add(api, team.member)
    before = await db_state()
    change = {"telehealthLocationId": location_id, "url": "https://elsewhere.example.com/x"}
    for who in (team.owner, team.admin):
        updated = await mutate(
            api, UPDATE_TELEHEALTH_LOCATION, "updateTelehealthLocation", change, who.token
        )
        assert (updated["telehealthLocation"], codes(updated)) == (None, ["FORBIDDEN"])
        removed = await mutate(
            api, REMOVE_TELEHEALTH_LOCATION, "removeTelehealthLocation",
            {"telehealthLocationId": location_id}, who.token,
        )  # fmt: skip
        assert (removed["ok"], codes(removed)) == (False, ["FORBIDDEN"])
    assert await db_state() == before
