"""Who may do and see what in practice management: each actor against each mutation and
restricted read gets exactly what RULES.md "Who is who" allows, and refusals write nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from carepath.clock import utcnow
from carepath.models import License, User
from carepath.models.enums import UsState, VerificationStatus
from tests.practice_steps import (
    ADD_CLIENT_TO_ROSTER,
    ADD_PROVIDER_TO_GROUP,
    ARCHIVE_PROVIDER,
    COMPLIANT_PLATFORM,
    ERRORS,
    REQUEST_REMOVAL,
    Person,
    a_client,
    a_credential,
    a_group,
    a_group_admin,
    a_group_provider,
    a_license,
    a_payout,
    a_provider,
    a_staff_member,
    db_state,
    on_roster,
    provider_row,
    succeed,
)
from tests.support import Api, error_codes

A_CLIENT = "a client"
A_PROVIDER = "an unrelated provider"
OTHER_ADMIN = "an admin of another group"
STAFF = "staff"
THE_PROVIDER = "the provider"
OWNER = "the group owner"
THEIR_CLIENT = "the provider's client"
ANONYMOUS = "anonymous"
ACTORS = [A_CLIENT, A_PROVIDER, OTHER_ADMIN, STAFF, THE_PROVIDER, OWNER, THEIR_CLIENT, ANONYMOUS]

ADD_TELEHEALTH = """
mutation M($input: AddTelehealthLocationInput!) {
  addTelehealthLocation(input: $input) { telehealthLocation { id } errors { code } }
}
"""


@dataclass
class World:
    """Group G: owner O, active provider P (licenses, credential, telehealth, client C on the
    roster, a pending payout), archived provider Q and provider R whose removal is requested;
    solo provider I has invited C to their roster."""

    owner: Person
    group_id: str
    provider: Person
    client: Person
    archived_id: str
    removal_id: str
    license_id: str
    credential_id: str
    location_id: str
    inviter_id: str
    tokens: dict[str, str | None] = field(default_factory=dict)


async def a_verified_account(email: str, name: str) -> None:
    """Model given-step: an account that never signs in, only to be added to the group."""
    await User.create(
        email=email, email_key=email, password_hash="!", full_name=name, email_verified_at=utcnow()
    )


async def a_world(api: Api) -> World:
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    group_id = await a_group(api, owner)
    provider = await a_group_provider(api, group_id, owner, "p@example.com", "Pia Provider")
    client = await a_client(api, "c@example.com", "Cleo Client")
    assert provider.provider_id is not None
    await on_roster(api, provider, provider.provider_id, client)
    # Model given-step: a license verified by staff (tested in test_credentialing).
    await License.create(
        provider_id=(await provider_row(provider)).id,
        state=UsState("NY"),
        number="NY-1",
        status=VerificationStatus.VERIFIED,
    )
    credential_id = await a_credential(api, provider, "NY")
    license_id = await a_license(api, provider, "TX", number="TX-1")
    location = await succeed(
        api, ADD_TELEHEALTH, "addTelehealthLocation", COMPLIANT_PLATFORM, provider.token
    )
    await a_payout(provider, client)
    ids = []
    for email in ("q@example.com", "r@example.com"):
        await a_verified_account(email, email)
        request = {"groupId": group_id, "email": email, "displayName": email}
        added = await succeed(
            api, ADD_PROVIDER_TO_GROUP, "addProviderToGroup", request, owner.token
        )
        ids.append(added["provider"]["id"])
    archived_id, leaving_id = ids
    await succeed(
        api, ARCHIVE_PROVIDER, "archiveProvider", {"providerId": archived_id}, owner.token
    )
    removal = await succeed(
        api, REQUEST_REMOVAL, "requestProviderRemoval", {"providerId": leaving_id}, owner.token
    )
    inviter = await a_provider(api, "i@example.com", "Ivy Inviter")
    invite = {"providerId": inviter.provider_id, "email": client.email}
    await succeed(api, ADD_CLIENT_TO_ROSTER, "addClientToRoster", invite, inviter.token)
    world = World(
        owner=owner,
        group_id=group_id,
        provider=provider,
        client=client,
        archived_id=archived_id,
        removal_id=removal["removalRequest"]["id"],
        license_id=license_id,
        credential_id=credential_id,
        location_id=location["telehealthLocation"]["id"],
        inviter_id=str(inviter.provider_id),
    )
    world.tokens = {THE_PROVIDER: provider.token, OWNER: owner.token, THEIR_CLIENT: client.token}
    return world


async def token_of(api: Api, world: World, actor: str) -> str | None:
    if actor in world.tokens:
        return world.tokens[actor]
    if actor == A_CLIENT:
        return (await a_client(api, "x@example.com", "Xena Stranger")).token
    if actor == A_PROVIDER:
        return (await a_provider(api, "u@example.com", "Uma Unrelated")).token
    if actor == OTHER_ADMIN:
        rival = await a_provider(api, "rival@example.com", "Rita Rival")
        rival_group = await a_group(api, rival, "Rivals")
        return (await a_group_admin(api, rival_group, rival, "a2@example.com")).token
    if actor == STAFF:
        return (await a_staff_member(api)).token
    return None


def errors_only(name: str) -> str:
    input_type = "ProviderId" if name in PROVIDER_ID_INPUT else name[0].upper() + name[1:]
    return f"mutation M($input: {input_type}Input!) {{ {name}(input: $input) {{ {ERRORS} }} }}"


PROVIDER_ID_INPUT = {"archiveProvider", "unarchiveProvider", "requestProviderRemoval"}


def inputs(w: World) -> dict[str, dict[str, Any]]:
    """One input per mutation, aimed at the world's group, provider P and client C."""
    p, c, g = w.provider.provider_id, w.client.client_id, w.group_id
    return {
        "updateProvider": {"providerId": p, "displayName": "Taken over"},
        "setAvailability": {"providerId": p, "windows": [WINDOW]},
        "reviewLicense": {"licenseId": w.license_id, "approve": True},
        "completeCredentialing": {"credentialId": w.credential_id, "approve": True},
        "addLicense": {"state": "NY", "number": "X-9"},
        "startCredentialing": {"state": "NY"},
        "addTelehealthLocation": COMPLIANT_PLATFORM,
        "updateTelehealthLocation": {"telehealthLocationId": w.location_id, "name": "Evil"},
        "removeTelehealthLocation": {"telehealthLocationId": w.location_id},
        "createGroup": {"name": "Another practice"},
        "addProviderToGroup": {"groupId": g, "email": w.client.email, "displayName": "Cleo"},
        "addGroupAdmin": {"groupId": g, "email": w.client.email},
        "archiveProvider": {"providerId": p},
        "requestProviderRemoval": {"providerId": p},
        "unarchiveProvider": {"providerId": w.archived_id},
        "completeProviderRemoval": {"removalRequestId": w.removal_id},
        "markPayoutsPaid": {"providerId": p},
        "addClientToRoster": {"providerId": p, "email": w.owner.email},
        "respondToRosterInvitation": {"providerId": p, "accept": True},
        "archiveClient": {"providerId": p, "clientId": c},
        "transferClient": {"clientId": c, "fromProviderId": p, "toProviderId": w.owner.provider_id},
        "setInsurance": {"clientId": c, "payerName": "Aetna", "inNetwork": True},
        "addClientLocation": {"clientId": c, "state": "NJ"},
    }


WINDOW = {"weekday": 1, "start": "09:00", "end": "10:00"}
F = frozenset({"FORBIDDEN"})
NF = frozenset({"NOT_FOUND"})
NIG = frozenset({"NOT_IN_GROUP"})
ALREADY = frozenset({"ALREADY_MEMBER"})
# A staff-only mutation on an object the caller cannot even see: visibility comes first.
STAFF_ONLY_UNSEEN = frozenset({"FORBIDDEN", "NOT_FOUND"})
# A provider-only operation by an account with no provider profile.
NOT_A_PROVIDER = frozenset({"PROVIDER_ONLY", "FORBIDDEN"})
# Someone else's provider, neither theirs nor in a group they administer: RULES.md names
# FORBIDDEN (another provider's profile), NOT_IN_GROUP (group operations) and
# PROVIDER_ONLY (provider-only operations) without saying which wins for a non-provider.
AUTHORITY = frozenset({"FORBIDDEN", "NOT_IN_GROUP", "PROVIDER_ONLY"})
SIGNED_IN_OUTSIDERS = (A_CLIENT, A_PROVIDER, OTHER_ADMIN, STAFF, THE_PROVIDER, THEIR_CLIENT)


def outsiders(codes: frozenset[str], *but: str) -> dict[str, frozenset[str]]:
    """The same refusal for every signed-in actor outside the group's admins but those named."""
    return {actor: codes for actor in SIGNED_IN_OUTSIDERS if actor not in but}


NON_PROVIDERS = (A_CLIENT, THEIR_CLIENT, OTHER_ADMIN, STAFF)
ANOTHERS_PROFILE = dict.fromkeys(NON_PROVIDERS, AUTHORITY) | {A_PROVIDER: F}
REFUSALS: dict[str, dict[str, frozenset[str]]] = {
    "updateProvider": ANOTHERS_PROFILE,
    "setAvailability": ANOTHERS_PROFILE,
    "reviewLicense": outsiders(STAFF_ONLY_UNSEEN, STAFF) | {THE_PROVIDER: F, OWNER: F},
    "completeCredentialing": outsiders(STAFF_ONLY_UNSEEN, STAFF) | {THE_PROVIDER: F, OWNER: F},
    "addLicense": dict.fromkeys(NON_PROVIDERS, NOT_A_PROVIDER),
    "startCredentialing": dict.fromkeys(NON_PROVIDERS, NOT_A_PROVIDER),
    "addTelehealthLocation": dict.fromkeys(NON_PROVIDERS, NOT_A_PROVIDER),
    "updateTelehealthLocation": outsiders(NF, THE_PROVIDER),
    "removeTelehealthLocation": outsiders(NF, THE_PROVIDER),
    "createGroup": dict.fromkeys(NON_PROVIDERS, F) | {THE_PROVIDER: ALREADY, OWNER: ALREADY},
    "addProviderToGroup": outsiders(NIG),
    "addGroupAdmin": outsiders(NIG),
    "archiveProvider": outsiders(NIG),
    "requestProviderRemoval": outsiders(NIG) | {OWNER: frozenset({"PENDING_PAYOUTS"})},
    "unarchiveProvider": outsiders(NF) | {STAFF: NF | NIG},
    "completeProviderRemoval": outsiders(STAFF_ONLY_UNSEEN, STAFF) | {OWNER: F},
    "markPayoutsPaid": outsiders(F, STAFF) | {OWNER: F},
    "addClientToRoster": outsiders(AUTHORITY, THE_PROVIDER),
    # Only an invited client may answer, and C's invitation is from I, not P.
    "respondToRosterInvitation": outsiders(NF) | {OWNER: NF},
    "archiveClient": outsiders(NF, THE_PROVIDER, THEIR_CLIENT),
    "transferClient": outsiders(NF, THE_PROVIDER, THEIR_CLIENT) | {THE_PROVIDER: NIG},
    "setInsurance": outsiders(NF, THE_PROVIDER, THEIR_CLIENT),
    "addClientLocation": outsiders(NF, THE_PROVIDER, THEIR_CLIENT),
}


@pytest.mark.parametrize("actor", ACTORS)
async def test_each_actor_gets_the_refusal_the_rules_give_and_nothing_is_written(
    api: Api, subtests: pytest.Subtests, actor: str
) -> None:
    world = await a_world(api)
    token = await token_of(api, world, actor)
    for name, request in inputs(world).items():
        if actor != ANONYMOUS and actor not in REFUSALS[name]:
            continue
        with subtests.test(msg=name):
            before = await db_state()
            result = await api(errors_only(name), {"input": request}, token)
            if actor == ANONYMOUS:
                assert error_codes(result) == ["UNAUTHENTICATED"]
            else:
                assert "errors" not in result, result["errors"]
                [error] = result["data"][name]["errors"]
                assert error["code"] in REFUSALS[name][actor], error
            assert await db_state() == before


@dataclass(frozen=True)
class Read:
    """A restricted field or a node: what each actor gets ("shown", "hidden" or a code)."""

    name: str
    document: str
    variables: Callable[[World], dict[str, Any]]
    seen: Callable[[dict[str, Any], World], Any]
    shown: Callable[[World], Any]
    hidden: Callable[[World], Any]
    outcomes: dict[str, str]


def edges(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


def outcomes(shown: tuple[str, ...], denied: str = "FORBIDDEN") -> dict[str, str]:
    """`shown` for the actors named; a top-level error (or "hidden") for everyone else."""
    others = {
        a: ("UNAUTHENTICATED" if a == ANONYMOUS and denied != "hidden" else denied) for a in ACTORS
    }
    return others | dict.fromkeys(shown, "shown")


NODE_ID = "query R($id: ID!) { node(id: $id) { id } }"
PROVIDER_CLIENTS = """
query R($id: ID!) { node(id: $id) { ... on Provider { clients { edges { node { id } } } } } }
"""
GROUP_CLIENTS = """
query R($id: ID!) { node(id: $id) { ... on Group { clients { edges { node { id } } } } } }
"""
GROUP_PROVIDERS = """
query R($id: ID!) {
  node(id: $id) { ... on Group { providers(includeArchived: true) { edges { node { id } } } } }
}
"""
READS = [
    Read(
        "Provider.telehealthLocations",
        "query R($id: ID!) { node(id: $id) { ... on Provider { telehealthLocations { id } } } }",
        lambda w: {"id": w.provider.provider_id},
        lambda d, w: [x["id"] for x in d["node"]["telehealthLocations"]],
        lambda w: [w.location_id],
        lambda w: None,
        outcomes((THE_PROVIDER, OWNER)),
    ),
    Read(
        "Provider.clients",
        PROVIDER_CLIENTS,
        lambda w: {"id": w.provider.provider_id},
        lambda d, w: edges(d["node"]["clients"]),
        lambda w: [w.client.client_id],
        lambda w: None,
        outcomes((THE_PROVIDER, OWNER)),
    ),
    Read(
        "Group.clients",
        GROUP_CLIENTS,
        lambda w: {"id": w.group_id},
        lambda d, w: edges(d["node"]["clients"]),
        lambda w: [w.client.client_id],
        lambda w: None,
        outcomes((OWNER,)),
    ),
    Read(
        "payouts",
        "query R($id: ID!) { payouts(groupId: $id, status: PENDING) { status } }",
        lambda w: {"id": w.group_id},
        lambda d, w: d["payouts"],
        lambda w: [{"status": "PENDING"}],
        lambda w: None,
        outcomes((OWNER, STAFF)),
    ),
    Read(
        "careEligibility",
        """query R($p: ID!, $c: ID!) {
          careEligibility(providerId: $p, clientId: $c, state: NY) { outcome }
        }""",
        lambda w: {"p": w.provider.provider_id, "c": w.client.client_id},
        lambda d, w: d["careEligibility"],
        lambda w: {"outcome": "PRIVATE_PAY_ONLY"},
        lambda w: None,
        outcomes((THE_PROVIDER, OWNER)),
    ),
    Read(
        "node(archived provider)",
        NODE_ID,
        lambda w: {"id": w.archived_id},
        lambda d, w: d["node"],
        lambda w: {"id": w.archived_id},
        lambda w: None,
        {a: o for a, o in outcomes((OWNER,), "hidden").items() if a != STAFF},
    ),
    Read(
        "node(client)",
        NODE_ID,
        lambda w: {"id": w.client.client_id},
        lambda d, w: d["node"],
        lambda w: {"id": w.client.client_id},
        lambda w: None,
        outcomes((THE_PROVIDER, OWNER, THEIR_CLIENT), "hidden"),
    ),
    Read(
        "Client.rosterInvitations",
        "query R($id: ID!) { node(id: $id) { ... on Client { rosterInvitations { id } } } }",
        lambda w: {"id": w.client.client_id},
        lambda d, w: d["node"] and [x["id"] for x in d["node"]["rosterInvitations"]],
        lambda w: [w.inviter_id],
        lambda w: None,
        dict.fromkeys(ACTORS, "hidden")
        | {THE_PROVIDER: "FORBIDDEN", OWNER: "FORBIDDEN", THEIR_CLIENT: "shown"},
    ),
    Read(
        "node(telehealth location)",
        NODE_ID,
        lambda w: {"id": w.location_id},
        lambda d, w: d["node"],
        lambda w: {"id": w.location_id},
        lambda w: None,
        outcomes((THE_PROVIDER, OWNER), "hidden"),
    ),
    Read(
        "Group.providers(includeArchived: true) lists archived providers",
        GROUP_PROVIDERS,
        lambda w: {"id": w.group_id},
        lambda d, w: w.archived_id in edges(d["node"]["providers"]),
        lambda w: True,
        lambda w: False,
        outcomes((OWNER,), "hidden"),
    ),
    Read(
        "Group.providers(includeArchived: true) lists only active ones to non-admins",
        GROUP_PROVIDERS,
        lambda w: {"id": w.group_id},
        lambda d, w: sorted(edges(d["node"]["providers"])),
        lambda w: None,
        lambda w: sorted([w.owner.provider_id, w.provider.provider_id]),
        {a: o for a, o in outcomes((), "hidden").items() if a != OWNER},
    ),
]


@pytest.mark.parametrize("actor", ACTORS)
async def test_each_actor_sees_exactly_what_the_rules_allow(
    api: Api, subtests: pytest.Subtests, actor: str
) -> None:
    world = await a_world(api)
    token = await token_of(api, world, actor)
    for read in READS:
        if actor not in read.outcomes:
            continue
        outcome = read.outcomes[actor]
        with subtests.test(msg=read.name):
            result = await api(read.document, read.variables(world), token)
            if outcome in ("FORBIDDEN", "UNAUTHENTICATED"):
                assert error_codes(result) == [outcome]
            else:
                assert "errors" not in result, result["errors"]
                expected = read.shown(world) if outcome == "shown" else read.hidden(world)
                assert read.seen(result["data"], world) == expected
