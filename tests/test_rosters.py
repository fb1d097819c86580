"""Rosters: adding, archiving and transferring clients; insurance and session locations."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from carepath.models import ClientLocation, Insurance, RosterEntry
from carepath.models.enums import RosterStatus
from tests.practice_steps import (
    ADD_CLIENT_LOCATION,
    ADD_CLIENT_TO_ROSTER,
    ARCHIVE_CLIENT,
    RESPOND_TO_ROSTER_INVITATION,
    SET_INSURANCE,
    Person,
    a_client,
    a_group,
    a_group_provider,
    a_provider,
    client_row,
    codes,
    db_state,
    mutate,
    on_roster,
    provider_row,
    succeed,
)
from tests.support import Api

TRANSFER_CLIENT = """
mutation TransferClient($input: TransferClientInput!) {
  transferClient(input: $input) { provider { id } client { id } errors { code field message } }
}
"""
PROVIDER_CLIENTS = """
query Clients($id: ID!, $status: RosterStatus!) {
  node(id: $id) { ... on Provider { clients(status: $status) { edges { node { id } } } } }
}
"""
GROUP_CLIENTS = """
query GroupClients($id: ID!) {
  node(id: $id) { ... on Group { clients { edges { node { id } } } } }
}
"""
MY_PROVIDERS = "query { me { clientProfile { providers { id } locations { state label } } } }"


@dataclass
class Practice:
    owner: Person
    group_id: str
    member: Person
    client: Person


@pytest.fixture
async def practice(api: Api) -> Practice:
    """A group (owner + member) and a client on the member's active roster."""
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    group_id = await a_group(api, owner)
    member = await a_group_provider(api, group_id, owner, "member@example.com", "Mo Member")
    client = await a_client(api, "client@example.com", "Cleo Client")
    assert member.provider_id is not None
    await on_roster(api, member, member.provider_id, client)
    return Practice(owner, group_id, member, client)


async def roster(api: Api, provider: Person, status: str, token: str) -> list[str]:
    variables = {"id": provider.provider_id, "status": status}
    node = (await api.data(PROVIDER_CLIENTS, variables, token=token))["node"]
    return [edge["node"]["id"] for edge in node["clients"]["edges"]]


async def entry_status(provider: Person, client: Person) -> RosterStatus | None:
    row = await RosterEntry.get_or_none(
        provider_id=(await provider_row(provider)).id, client_id=(await client_row(client)).id
    )
    return None if row is None else RosterStatus(row.status)


async def test_provider_adds_a_client_by_email_once_they_accept(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    cleo = await a_client(api, "cleo@example.com", "Cleo Client")
    request = {"providerId": ann.provider_id, "email": "CLEO@Example.com"}
    payload = await succeed(api, ADD_CLIENT_TO_ROSTER, "addClientToRoster", request, ann.token)
    assert (payload["provider"], payload["client"]) == ({"id": ann.provider_id}, None)
    answer = {"providerId": ann.provider_id, "accept": True}
    payload = await succeed(
        api, RESPOND_TO_ROSTER_INVITATION, "respondToRosterInvitation", answer, cleo.token
    )
    assert payload["client"] == {
        "id": cleo.client_id,
        "email": "cleo@example.com",
        "fullName": "Cleo Client",
    }
    assert await roster(api, ann, "ACTIVE", ann.token) == [cleo.client_id]
    me = (await api.data(MY_PROVIDERS, token=cleo.token))["me"]
    assert me["clientProfile"]["providers"] == [{"id": ann.provider_id}]
    assert await entry_status(ann, cleo) == RosterStatus.ACTIVE


CLIENT_PROVIDERS = "query C($id: ID!) { node(id: $id) { ... on Client { providers { id } } } }"


async def test_a_practice_sees_only_its_own_providers_of_a_shared_client(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    bea = await a_provider(api, "bea@example.com", "Bea")
    cleo = await a_client(api, "cleo@example.com", "Cleo Client")
    for provider in (ann, bea):
        await on_roster(api, provider, provider.provider_id or "", cleo)

    async def providers_seen(token: str) -> set[str]:
        found = (await api.data(CLIENT_PROVIDERS, {"id": cleo.client_id}, token=token))["node"]
        return {p["id"] for p in found["providers"]}

    assert await providers_seen(cleo.token) == {ann.provider_id, bea.provider_id}
    assert await providers_seen(ann.token) == {ann.provider_id}  # Bea's care is not Ann's
    assert await providers_seen(bea.token) == {bea.provider_id}


async def test_group_admin_adds_a_client_to_a_group_providers_roster(
    api: Api, practice: Practice
) -> None:
    newcomer = await a_client(api, "new@example.com")
    await on_roster(api, practice.owner, str(practice.member.provider_id), newcomer)
    assert await entry_status(practice.member, newcomer) == RosterStatus.ACTIVE
    assert await entry_status(practice.owner, newcomer) is None


async def test_unknown_email_is_not_added_to_the_roster(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    before = await db_state()
    request = {"providerId": ann.provider_id, "email": "ghost@example.com"}
    payload = await mutate(api, ADD_CLIENT_TO_ROSTER, "addClientToRoster", request, ann.token)
    assert (payload["client"], codes(payload)) == (None, ["ACCOUNT_NOT_FOUND"])
    assert await db_state() == before


async def test_archiving_moves_the_client_to_the_archived_roster(
    api: Api, practice: Practice
) -> None:
    member, client = practice.member, practice.client
    request = {"providerId": member.provider_id, "clientId": client.client_id}
    payload = await succeed(api, ARCHIVE_CLIENT, "archiveClient", request, member.token)
    assert payload["client"] == {"id": client.client_id}
    assert await roster(api, member, "ACTIVE", member.token) == []
    assert await roster(api, member, "ARCHIVED", member.token) == [client.client_id]
    me = (await api.data(MY_PROVIDERS, token=client.token))["me"]
    assert me["clientProfile"]["providers"] == []
    assert await entry_status(member, client) == RosterStatus.ARCHIVED


async def test_adding_an_archived_client_reactivates_them(api: Api, practice: Practice) -> None:
    member, client = practice.member, practice.client
    request = {"providerId": member.provider_id, "clientId": client.client_id}
    await succeed(api, ARCHIVE_CLIENT, "archiveClient", request, member.token)
    await on_roster(api, member, str(member.provider_id), client)
    assert await roster(api, member, "ACTIVE", member.token) == [client.client_id]
    assert await RosterEntry.all().count() == 1
    assert await entry_status(member, client) == RosterStatus.ACTIVE


@pytest.mark.parametrize("case", ["already archived", "on another provider's roster"])
async def test_archiving_a_client_not_on_the_active_roster(
    api: Api, practice: Practice, case: str
) -> None:
    member, owner, client = practice.member, practice.owner, practice.client
    request = {"providerId": member.provider_id, "clientId": client.client_id}
    if case == "already archived":
        await succeed(api, ARCHIVE_CLIENT, "archiveClient", request, member.token)
    else:  # the owner sees the client through the member's roster, not their own
        request["providerId"] = owner.provider_id
    before = await db_state()
    caller = member if case == "already archived" else owner
    payload = await mutate(api, ARCHIVE_CLIENT, "archiveClient", request, caller.token)
    assert (payload["client"], codes(payload)) == (None, ["NOT_ON_ROSTER"])
    assert await db_state() == before


async def test_archiving_a_client_the_caller_cannot_see_is_not_found(
    api: Api, practice: Practice
) -> None:
    solo = await a_provider(api, "solo@example.com", "Sol")
    before = await db_state()
    request = {"providerId": solo.provider_id, "clientId": practice.client.client_id}
    payload = await mutate(api, ARCHIVE_CLIENT, "archiveClient", request, solo.token)
    assert (payload["client"], codes(payload)) == (None, ["NOT_FOUND"])
    assert await db_state() == before


def transfer(p: Practice, source: Person, target: Person) -> dict[str, str | None]:
    return {
        "clientId": p.client.client_id,
        "fromProviderId": source.provider_id,
        "toProviderId": target.provider_id,
    }


async def test_group_admin_transfers_a_client_between_its_providers(
    api: Api, practice: Practice
) -> None:
    p = practice
    request = transfer(p, p.member, p.owner)
    payload = await succeed(api, TRANSFER_CLIENT, "transferClient", request, p.owner.token)
    assert payload["client"] == {"id": p.client.client_id}
    assert await entry_status(p.member, p.client) == RosterStatus.ARCHIVED
    assert await entry_status(p.owner, p.client) == RosterStatus.ACTIVE
    me = (await api.data(MY_PROVIDERS, token=p.client.token))["me"]
    assert me["clientProfile"]["providers"] == [{"id": p.owner.provider_id}]


async def test_transfer_reactivates_an_archived_entry_on_the_receiving_provider(
    api: Api, practice: Practice
) -> None:
    p = practice
    await succeed(
        api, TRANSFER_CLIENT, "transferClient", transfer(p, p.member, p.owner), p.owner.token
    )
    await succeed(
        api, TRANSFER_CLIENT, "transferClient", transfer(p, p.owner, p.member), p.owner.token
    )
    assert await entry_status(p.member, p.client) == RosterStatus.ACTIVE
    assert await entry_status(p.owner, p.client) == RosterStatus.ARCHIVED
    assert await RosterEntry.all().count() == 2


@pytest.mark.parametrize("target", ["a solo provider", "a provider of another group"])
async def test_transfer_stays_inside_the_admins_group(
    api: Api, practice: Practice, target: str
) -> None:
    p = practice
    outsider = await a_provider(api, "out@example.com", "Otto Outsider")
    if target == "a provider of another group":
        await a_group(api, outsider, "Elsewhere")
    before = await db_state()
    payload = await mutate(
        api, TRANSFER_CLIENT, "transferClient", transfer(p, p.member, outsider), p.owner.token
    )
    assert (payload["client"], codes(payload)) == (None, ["NOT_IN_GROUP"])
    assert await db_state() == before


async def test_a_provider_cannot_transfer_their_own_client(api: Api, practice: Practice) -> None:
    p = practice
    before = await db_state()
    payload = await mutate(
        api, TRANSFER_CLIENT, "transferClient", transfer(p, p.member, p.owner), p.member.token
    )
    assert (payload["client"], codes(payload)) == (None, ["NOT_IN_GROUP"])
    assert await db_state() == before


async def test_transfer_needs_the_client_on_the_source_active_roster(
    api: Api, practice: Practice
) -> None:
    p = practice
    request = {"providerId": p.member.provider_id, "clientId": p.client.client_id}
    await succeed(api, ARCHIVE_CLIENT, "archiveClient", request, p.member.token)
    before = await db_state()
    payload = await mutate(
        api, TRANSFER_CLIENT, "transferClient", transfer(p, p.member, p.owner), p.owner.token
    )
    assert (payload["client"], codes(payload)) == (None, ["NOT_ON_ROSTER"])
    assert await db_state() == before


async def test_group_clients_are_the_clients_of_every_provider_in_the_group(
    api: Api, practice: Practice
) -> None:
    p = practice
    other = await a_client(api, "other@example.com")
    await on_roster(api, p.owner, str(p.owner.provider_id), other)
    solo = await a_provider(api, "solo@example.com", "Sol")
    await on_roster(api, solo, str(solo.provider_id), await a_client(api, "x@example.com"))
    node = (await api.data(GROUP_CLIENTS, {"id": p.group_id}, token=p.owner.token))["node"]
    found = {edge["node"]["id"] for edge in node["clients"]["edges"]}
    assert found == {p.client.client_id, other.client_id}


def caller(p: Practice, who: str) -> Person:
    return {"the client": p.client, "the provider": p.member, "a group admin": p.owner}[who]


WHO = ["the client", "the provider", "a group admin"]


@pytest.mark.parametrize("who", WHO)
async def test_insurance_is_set_by_the_client_or_their_care_team(
    api: Api, practice: Practice, who: str
) -> None:
    p = practice
    request = {"clientId": p.client.client_id, "payerName": "Aetna", "inNetwork": True}
    payload = await succeed(api, SET_INSURANCE, "setInsurance", request, caller(p, who).token)
    assert payload["client"]["insurance"] == {"payerName": "Aetna", "inNetwork": True}
    row = await Insurance.get(client_id=(await client_row(p.client)).id)
    assert (row.payer_name, row.in_network) == ("Aetna", True)


async def test_new_insurance_replaces_the_old_one(api: Api, practice: Practice) -> None:
    p = practice
    for payer, in_network in (("Aetna", True), ("Oscar", False)):
        request = {"clientId": p.client.client_id, "payerName": payer, "inNetwork": in_network}
        await succeed(api, SET_INSURANCE, "setInsurance", request, p.client.token)
    rows = await Insurance.all()
    assert [(r.payer_name, r.in_network) for r in rows] == [("Oscar", False)]


async def test_insurance_needs_a_payer_name(api: Api, practice: Practice) -> None:
    request = {"clientId": practice.client.client_id, "payerName": " ", "inNetwork": True}
    payload = await mutate(api, SET_INSURANCE, "setInsurance", request, practice.client.token)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "payerName")]
    assert await Insurance.all().count() == 0


@pytest.mark.parametrize("who", WHO)
async def test_session_locations_are_added_by_the_client_or_their_care_team(
    api: Api, practice: Practice, who: str
) -> None:
    p = practice
    request = {"clientId": p.client.client_id, "state": "NJ", "label": "Home"}
    payload = await succeed(
        api, ADD_CLIENT_LOCATION, "addClientLocation", request, caller(p, who).token
    )
    assert {k: payload["clientLocation"][k] for k in ("state", "label")} == {
        "state": "NJ",
        "label": "Home",
    }
    me = (await api.data(MY_PROVIDERS, token=p.client.token))["me"]
    assert me["clientProfile"]["locations"] == [{"state": "NJ", "label": "Home"}]
    assert await ClientLocation.all().count() == 1


INSURANCE = (SET_INSURANCE, "setInsurance", {"payerName": "Aetna", "inNetwork": True})
LOCATION = (ADD_CLIENT_LOCATION, "addClientLocation", {"state": "NJ", "label": "Home"})


@pytest.mark.parametrize("change", [INSURANCE, LOCATION], ids=["insurance", "location"])
async def test_a_provider_without_the_client_on_a_roster_gets_not_found(
    api: Api, practice: Practice, change: tuple[str, str, dict[str, object]]
) -> None:
    document, name, values = change
    solo = await a_provider(api, "solo@example.com", "Sol")
    before = await db_state()
    request = {"clientId": practice.client.client_id} | values
    payload = await mutate(api, document, name, request, solo.token)
    assert codes(payload) == ["NOT_FOUND"]
    assert await db_state() == before


@pytest.mark.parametrize("change", [INSURANCE, LOCATION], ids=["insurance", "location"])
async def test_a_client_archived_on_the_callers_roster_is_forbidden(
    api: Api, practice: Practice, change: tuple[str, str, dict[str, object]]
) -> None:
    document, name, values = change
    p = practice
    archive = {"providerId": p.member.provider_id, "clientId": p.client.client_id}
    await succeed(api, ARCHIVE_CLIENT, "archiveClient", archive, p.member.token)
    before = await db_state()
    request = {"clientId": p.client.client_id} | values
    payload = await mutate(api, document, name, request, p.member.token)
    assert codes(payload) == ["FORBIDDEN"]
    assert await db_state() == before


async def test_transfer_to_the_same_provider_is_refused(api: Api, practice: Practice) -> None:
    p = practice
    before = await db_state()
    payload = await mutate(
        api, TRANSFER_CLIENT, "transferClient", transfer(p, p.member, p.member), p.owner.token
    )
    assert payload["client"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "toProviderId")]
    assert await db_state() == before
