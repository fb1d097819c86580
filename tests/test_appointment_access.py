"""Who sees an appointment and its telehealth link, and the appointment lists of a
provider, a client and a group (from/to, pages of at most 100)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.practice_steps import (
    Person,
    a_client,
    a_staff_member,
    a_team,
    on_roster,
    succeed,
)
from tests.scheduling_steps import (
    CANCEL_APPOINTMENT,
    INSTRUCTIONS,
    LINK,
    Practice,
    a_practice,
    iso,
    local,
    make_bookable,
    scheduled,
)
from tests.support import Api, error_codes

APPOINTMENT_ID = "query A($id: ID!) { node(id: $id) { ... on Appointment { id status } } }"
APPOINTMENT_LINK = """
query A($id: ID!) {
  node(id: $id) { ... on Appointment { id telehealthLink telehealthInstructions } }
}
"""
PAGE = """
appointments(from: $from, to: $to, first: $first, after: $after) {
  edges { node { id startsAt } cursor } pageInfo { hasNextPage endCursor }
}
"""
PROVIDER_APPOINTMENTS = f"""
query P($id: ID!, $from: DateTime, $to: DateTime, $first: Int, $after: String) {{
  node(id: $id) {{ ... on Provider {{ {PAGE} }} }}
}}
"""
CLIENT_APPOINTMENTS = PROVIDER_APPOINTMENTS.replace("on Provider", "on Client")
GROUP_APPOINTMENTS = PROVIDER_APPOINTMENTS.replace("on Provider", "on Group")


@dataclass
class World:
    """A group (owner, non-clinician admin) whose provider sees Cleo; two outsiders."""

    owner: Person
    admin: Person
    group_id: str
    practice: Practice
    cleo: Person
    cleo_id: str
    dan: Person
    bob: Practice


async def a_group_practice(api: Api) -> World:
    team = await a_team(api)
    practice = await make_bookable(api, team.member)
    cleo = await a_client(api, "cleo@example.com", "Cleo Client")
    cleo_id = await on_roster(api, team.member, practice.id, cleo)
    dan = await a_client(api, "dan@example.com", "Dan Doe")
    bob = await a_practice(api, "bob@example.com", "Bob Provider")
    return World(team.owner, team.admin, team.group_id, practice, cleo, cleo_id, dan, bob)


def viewer(world: World, who: str) -> str:
    people = {
        "client": world.cleo,
        "provider": world.practice.provider,
        "owner": world.owner,
        "admin": world.admin,
        "unrelated client": world.dan,
        "unrelated provider": world.bob.provider,
    }
    return people[who].token


async def page(
    api: Api, document: str, node_id: str, token: str, **arguments: Any
) -> dict[str, Any]:
    variables = {"id": node_id} | {
        k: iso(v) if hasattr(v, "isoformat") else v for k, v in arguments.items()
    }
    connection: dict[str, Any] = (await api.data(document, variables, token=token))["node"][
        "appointments"
    ]
    return connection


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


# ---------------------------------------------------------------- one appointment


@pytest.mark.parametrize("who", ["client", "provider", "owner", "admin"])
async def test_appointment_is_visible_to_its_parties_and_the_groups_admins(
    api: Api, who: str
) -> None:
    world = await a_group_practice(api)
    booked = await scheduled(api, world.practice, world.cleo_id, local(5, "10:00"))
    node = (await api.data(APPOINTMENT_ID, {"id": booked["id"]}, token=viewer(world, who)))["node"]
    assert node == {"id": booked["id"], "status": "SCHEDULED"}


@pytest.mark.parametrize("who", ["unrelated client", "unrelated provider", "anonymous"])
async def test_appointment_is_null_to_anyone_else(api: Api, who: str) -> None:
    world = await a_group_practice(api)
    booked = await scheduled(api, world.practice, world.cleo_id, local(5, "10:00"))
    token = None if who == "anonymous" else viewer(world, who)
    assert (await api.data(APPOINTMENT_ID, {"id": booked["id"]}, token=token))["node"] is None


@pytest.mark.parametrize("who", ["client", "provider"])
async def test_client_and_provider_see_the_telehealth_link(api: Api, who: str) -> None:
    world = await a_group_practice(api)
    booked = await scheduled(api, world.practice, world.cleo_id, local(5, "10:00"))
    node = (await api.data(APPOINTMENT_LINK, {"id": booked["id"]}, token=viewer(world, who)))[
        "node"
    ]
    assert node["telehealthLink"] == LINK


@pytest.mark.parametrize("who", ["owner", "admin"])
async def test_group_admins_never_see_the_telehealth_link(api: Api, who: str) -> None:
    world = await a_group_practice(api)
    booked = await scheduled(api, world.practice, world.cleo_id, local(5, "10:00"))
    response = await api.post(APPOINTMENT_LINK, {"id": booked["id"]}, token=viewer(world, who))
    assert LINK not in response.text and INSTRUCTIONS not in response.text
    node = ((response.json().get("data") or {}).get("node")) or {}
    assert node.get("telehealthLink") is None


APPOINTMENT_PHI = """
query A($id: ID!) {
  node(id: $id) { ... on Appointment { id cancellationReason clientLocation { state } } }
}
"""


async def test_staff_see_an_appointment_but_not_the_clients_whereabouts_or_reasons(
    api: Api,
) -> None:
    world = await a_group_practice(api)
    booked = await scheduled(api, world.practice, world.cleo_id, local(5, "10:00"))
    request = {"appointmentId": booked["id"], "reason": "Client in hospital"}
    await succeed(api, CANCEL_APPOINTMENT, "cancelAppointment", request, world.practice.token)
    staff = await a_staff_member(api)
    for field in ("cancellationReason", "clientLocation { state }"):
        document = APPOINTMENT_PHI.replace("cancellationReason clientLocation { state }", field)
        result = await api(document, {"id": booked["id"]}, token=staff.token)
        assert error_codes(result) == ["FORBIDDEN"]
        assert "hospital" not in str(result)
    for who in ("provider", "admin", "client"):
        seen = await api.data(APPOINTMENT_PHI, {"id": booked["id"]}, token=viewer(world, who))
        assert seen["node"]["cancellationReason"] == "Client in hospital"


# ---------------------------------------------------------------- lists


async def test_provider_lists_appointments_between_from_and_to(api: Api) -> None:
    world = await a_group_practice(api)
    booked = [
        await scheduled(api, world.practice, world.cleo_id, local(day, "10:00"))
        for day in (3, 5, 7)
    ]
    found = await page(
        api,
        PROVIDER_APPOINTMENTS,
        world.practice.id,
        world.practice.token,
        **{"from": local(4, "00:00"), "to": local(6, "00:00")},
    )
    assert ids(found) == [booked[1]["id"]]


async def test_list_bounds_without_an_offset_are_refused(api: Api) -> None:
    world = await a_group_practice(api)
    for bounds in ({"from": "2027-01-11T15:00:00"}, {"to": "2027-01-11T15:00:00"}):
        result = await api(
            PROVIDER_APPOINTMENTS, {"id": world.practice.id, **bounds}, token=world.practice.token
        )
        assert error_codes(result) == ["BAD_USER_INPUT"]


async def test_appointment_lists_come_in_pages(api: Api) -> None:
    world = await a_group_practice(api)
    booked = [
        (await scheduled(api, world.practice, world.cleo_id, local(day, "10:00")))["id"]
        for day in range(3, 8)
    ]
    seen: list[str] = []
    after = None
    for expected_more in (True, True, False):
        found = await page(
            api,
            PROVIDER_APPOINTMENTS,
            world.practice.id,
            world.practice.token,
            first=2,
            after=after,
        )
        seen += ids(found)
        assert found["pageInfo"]["hasNextPage"] is expected_more
        after = found["pageInfo"]["endCursor"]
    assert seen == booked  # earliest first, none twice, none left out


async def test_client_lists_their_appointments_with_every_provider(api: Api) -> None:
    world = await a_group_practice(api)
    first = await scheduled(api, world.practice, world.cleo_id, local(3, "10:00"))
    bob_client_id = await on_roster(api, world.bob.provider, world.bob.id, world.cleo)
    second = await scheduled(api, world.bob, bob_client_id, local(4, "10:00"))
    found = await page(api, CLIENT_APPOINTMENTS, world.cleo_id, world.cleo.token)
    assert ids(found) == [first["id"], second["id"]]
    # Each provider sees, in the client's list, only their own appointments with her.
    bobs_view = await page(api, CLIENT_APPOINTMENTS, world.cleo_id, world.bob.token)
    assert ids(bobs_view) == [second["id"]]


async def test_group_admins_list_the_groups_appointments(api: Api) -> None:
    world = await a_group_practice(api)
    mine = await scheduled(api, world.practice, world.cleo_id, local(3, "10:00"))
    dan_id = await on_roster(api, world.bob.provider, world.bob.id, world.dan)
    await scheduled(api, world.bob, dan_id, local(3, "11:00"))  # outside the group
    for who in (world.owner, world.admin):
        found = await page(api, GROUP_APPOINTMENTS, world.group_id, who.token)
        assert ids(found) == [mine["id"]]


APPOINTMENT_READ = """
id status client { id fullName email } provider { id } telehealthLink telehealthInstructions
"""
ONE_APPOINTMENT = "query A($id: ID!) { node(id: $id) { ... on Appointment { %s } } }"
LISTED_APPOINTMENTS = """
query L($id: ID!) {
  node(id: $id) { ... on Provider { appointments(first: 5) { ...Listed } }
                  ... on Client { appointments(first: 5) { ...Listed } }
                  ... on Group { appointments(first: 5) { ...Listed } } }
}
fragment Listed on AppointmentConnection { edges { node { ... on Appointment { %s } } } }
"""


def field_outcomes(result: dict[str, Any]) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    """The appointment as read, and each refused field with its code."""
    data = result["data"]["node"]
    appointment = data if "appointments" not in data else data["appointments"]["edges"][0]["node"]
    refused = {(e["path"][-1], e["extensions"]["code"]) for e in result.get("errors", [])}
    return appointment, refused


@pytest.mark.parametrize("who", ["client", "provider", "owner", "admin"])
async def test_an_appointment_reads_the_same_in_a_list_as_alone(api: Api, who: str) -> None:
    """A list page loads what its rows' fields read up front (schema.prefetch); a single
    appointment loads it field by field: the same rules must give the same answer."""
    world = await a_group_practice(api)
    booked = await scheduled(api, world.practice, world.cleo_id, local(5, "10:00"))
    listing = {"client": world.cleo_id, "provider": world.practice.id}.get(who, world.group_id)
    token = viewer(world, who)
    alone = await api(ONE_APPOINTMENT % APPOINTMENT_READ, {"id": booked["id"]}, token=token)
    listed = await api(LISTED_APPOINTMENTS % APPOINTMENT_READ, {"id": listing}, token=token)
    assert field_outcomes(listed) == field_outcomes(alone)
    appointment, refused = field_outcomes(alone)
    assert appointment["client"] == {
        "id": world.cleo_id,
        "fullName": "Cleo Client",
        "email": "cleo@example.com",
    }
    sees_link = who in ("client", "provider")
    assert (appointment["telehealthLink"] == LINK) is sees_link
    assert bool(refused) is not sees_link


@pytest.mark.parametrize(
    ("who", "code"), [("unrelated provider", "FORBIDDEN"), ("anonymous", "UNAUTHENTICATED")]
)
async def test_a_providers_appointments_are_restricted(api: Api, who: str, code: str) -> None:
    world = await a_group_practice(api)
    await scheduled(api, world.practice, world.cleo_id, local(3, "10:00"))
    token = None if who == "anonymous" else viewer(world, who)
    result = await api(PROVIDER_APPOINTMENTS, {"id": world.practice.id}, token=token)
    assert error_codes(result) == [code]


async def test_group_appointments_are_forbidden_to_a_member_provider(api: Api) -> None:
    world = await a_group_practice(api)
    await scheduled(api, world.practice, world.cleo_id, local(3, "10:00"))
    result = await api(GROUP_APPOINTMENTS, {"id": world.group_id}, token=world.practice.token)
    assert error_codes(result) == ["FORBIDDEN"]


@pytest.mark.parametrize("listing", ["provider", "client", "group"])
async def test_a_page_holds_at_most_a_hundred(api: Api, listing: str) -> None:
    world = await a_group_practice(api)
    document, node_id, token = {
        "provider": (PROVIDER_APPOINTMENTS, world.practice.id, world.practice.token),
        "client": (CLIENT_APPOINTMENTS, world.cleo_id, world.cleo.token),
        "group": (GROUP_APPOINTMENTS, world.group_id, world.owner.token),
    }[listing]
    result = await api(document, {"id": node_id, "first": 101}, token=token)
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert (await api(document, {"id": node_id, "first": 100}, token=token)).get("errors") is None
