"""Cross-role IDOR matrix: every Node type against every kind of viewer, through `node`,
through nested connections, and through mutation arguments naming another's object.

The expectations come from RULES.md "Who is who" and README.md "Who may read and do what",
not from the code: a denied object is exactly a missing one (`node` null, mutations
`NOT_FOUND` with nothing written), a restricted field is a top-level `UNAUTHENTICATED`
(anonymous) or `FORBIDDEN` (signed in). Cells the documents leave open are not asserted
and say so. One world is built for the whole module (see `world`), so this module keeps
the database between its tests and wipes it at the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from carepath.schema.ids import parse_global_id, to_global_id
from carepath.settings import Settings
from tests.security.conftest import shared_world
from tests.security.idor_attempts import ATTEMPTS
from tests.security.world import (
    ADMIN,
    ANONYMOUS,
    CLIENT,
    COLLEAGUE,
    OTHER_CLIENT,
    OWNER,
    PROVIDER,
    SOLO,
    STAFF,
    VIEWERS,
    World,
    a_world,
    everything,
)
from tests.support import Api, SmtpServer, error_codes


@pytest.fixture(autouse=True)
async def clean_database() -> None:
    """Replaces the per-test wipe: the module's tests share one world (wiped in `world`)."""


@pytest.fixture(scope="module")
def world_api(module_api: Api) -> Api:
    return module_api


@pytest.fixture(scope="module")
async def world(
    world_api: Api, settings: Settings, smtp_server: SmtpServer
) -> AsyncIterator[World]:
    async with shared_world(lambda: a_world(world_api), settings, smtp_server) as built:
        yield built


def xfail(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


def cases(table: dict[str, Any], known_bugs: dict[tuple[str, str], str]) -> list[Any]:
    """(row, viewer) for every row of `table` and viewer it names, bugs marked xfail."""
    found = []
    for row, entry in table.items():
        by_viewer = entry if isinstance(entry, dict) else entry.viewers
        for viewer in VIEWERS:
            if viewer not in by_viewer:
                continue
            marks = [xfail(known_bugs[row, viewer])] if (row, viewer) in known_bugs else []
            found.append(pytest.param(row, viewer, marks=marks, id=f"{row} / {viewer}"))
    return found


def everyone_but(shown: set[str], *unasserted: str) -> dict[str, bool]:
    """True for the viewers in `shown`, False for the rest, nothing for `unasserted`."""
    return {v: v in shown for v in VIEWERS if v not in unasserted}


# ----------------------------------------------------------------------- node(id:)

GROUP_INSIDERS = {OWNER, ADMIN}
CLEO_CARE = {CLIENT, PROVIDER, OWNER, ADMIN, SOLO}
DAN_CARE = {OTHER_CLIENT, SOLO}
NODE_VISIBILITY: dict[str, dict[str, bool]] = {
    # Users: "own account"; a group's owner and admins to the group's providers, admins and
    # staff. A client's account is nobody else's (staff sees appointments "without the
    # client"); a plain provider's account, to staff, is not settled by the documents.
    "user:cleo": everyone_but({CLIENT}),
    "user:pia": everyone_but({PROVIDER}, STAFF),
    "user:olga": everyone_but({OWNER, ADMIN, PROVIDER, COLLEAGUE, STAFF}),
    "user:ada": everyone_but({OWNER, ADMIN, PROVIDER, COLLEAGUE, STAFF}),
    # A client, their insurance and locations: themself, providers with them on a roster,
    # those providers' group admins.
    "client:cleo": everyone_but(CLEO_CARE),
    "client:dan": everyone_but(DAN_CARE),
    "location:cleo": everyone_but(CLEO_CARE),
    "location:dan": everyone_but(DAN_CARE),
    # Active providers and groups are public; an archived provider is the group admins'
    # (staff's view of an archived profile is not settled by the documents).
    "provider:pia": everyone_but(set(VIEWERS)),
    "provider:sol": everyone_but(set(VIEWERS)),
    "provider:quinn (archived)": everyone_but(GROUP_INSIDERS, STAFF),
    "group": everyone_but(set(VIEWERS)),
    "telehealth:pia": everyone_but({PROVIDER} | GROUP_INSIDERS),
    # Appointments: own (client, provider), booked in their group (admins), staff.
    "appointment:cleo-pia": everyone_but({CLIENT, PROVIDER, STAFF} | GROUP_INSIDERS),
    "appointment:cleo-sol": everyone_but({CLIENT, SOLO, STAFF}),
    "appointment:dan-sol": everyone_but({OTHER_CLIENT, SOLO, STAFF}),
    # Conversations and messages: their two parties, never admins, never staff.
    "conversation:cleo-pia": everyone_but({CLIENT, PROVIDER}),
    "conversation:dan-sol": everyone_but({OTHER_CLIENT, SOLO}),
    "message:cleo-pia": everyone_but({CLIENT, PROVIDER}),
    "message:pia-cleo": everyone_but({CLIENT, PROVIDER}),
    "message:dan-sol": everyone_but({OTHER_CLIENT, SOLO}),
    # Not Node types: `node` never resolves them, even for their owner.
    "license:pia-pending": everyone_but(set()),
}
NODE_BUGS: dict[tuple[str, str], str] = {}
NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"


def missing_of_same_type(global_id: str) -> str:
    parsed = parse_global_id(global_id)
    assert parsed is not None
    return to_global_id(parsed[0], 987_654)


@pytest.mark.parametrize(("name", "viewer"), cases(NODE_VISIBILITY, NODE_BUGS))
async def test_node_shows_an_object_only_to_whom_the_rules_allow_and_hides_it_like_a_missing_one(
    world_api: Api, world: World, name: str, viewer: str
) -> None:
    token = world.token(viewer)
    result = await world_api(NODE, {"id": world.id(name)}, token)
    if NODE_VISIBILITY[name][viewer]:
        assert "errors" not in result, result
        assert result["data"]["node"]["id"] == world.id(name)
    else:
        missing = await world_api(NODE, {"id": missing_of_same_type(world.id(name))}, token)
        assert missing == {"data": {"node": None}}
        assert result == missing


# ------------------------------------------------------------------- nested reads

DENIED = "denied"  # UNAUTHENTICATED for an anonymous viewer, FORBIDDEN for a signed-in one
NULL = "null"  # the node itself is null: nothing to read inside it


@dataclass(frozen=True)
class Read:
    document: str
    target: str  # the world id bound to $id
    value: Callable[[dict[str, Any]], Any]
    expected: dict[str, Any]  # viewer -> DENIED, NULL, or the names of what they see

    @property
    def viewers(self) -> dict[str, Any]:
        return self.expected


def edge_ids(connection: dict[str, Any]) -> list[str]:
    return sorted(edge["node"]["id"] for edge in connection["edges"])


def node_field(kind: str, selection: str) -> str:
    return f"query R($id: ID!) {{ node(id: $id) {{ ... on {kind} {{ {selection} }} }} }}"


def connection_at(*path: str) -> Callable[[dict[str, Any]], Any]:
    def read(data: dict[str, Any]) -> Any:
        value: Any = data
        for step in path:
            value = value[step]
        return edge_ids(value)

    return read


def ids_at(*path: str) -> Callable[[dict[str, Any]], Any]:
    def read(data: dict[str, Any]) -> Any:
        value: Any = data
        for step in path:
            value = value[step]
        return sorted(item["id"] for item in value)

    return read


def shown_to(
    shown: dict[str, Sequence[str]], otherwise: str = DENIED, *unasserted: str
) -> dict[str, Any]:
    return {v: shown.get(v, otherwise) for v in VIEWERS if v not in unasserted}


def seen_by(viewers: Iterable[str], *names: str) -> dict[str, tuple[str, ...]]:
    """Each of `viewers` sees exactly the objects `names`."""
    return dict.fromkeys(viewers, names)


PIA_MANAGERS = (PROVIDER, OWNER, ADMIN)
EVERYONE = tuple(VIEWERS)
SIGNED_IN = tuple(v for v in VIEWERS if v != ANONYMOUS)
READS: dict[str, Read] = {
    "Provider.appointments": Read(
        node_field("Provider", "appointments { edges { node { id } } }"),
        "provider:pia",
        connection_at("node", "appointments"),
        shown_to(seen_by(PIA_MANAGERS, "appointment:cleo-pia")),
    ),
    "Provider.clients": Read(
        node_field("Provider", "clients { edges { node { id } } }"),
        "provider:pia",
        connection_at("node", "clients"),
        shown_to(seen_by(PIA_MANAGERS, "client:cleo")),
    ),
    "Provider.clients(ARCHIVED)": Read(
        node_field("Provider", "clients(status: ARCHIVED) { edges { node { id } } }"),
        "provider:pia",
        connection_at("node", "clients"),
        shown_to(seen_by(PIA_MANAGERS)),
    ),
    "Provider.telehealthLocations": Read(
        node_field("Provider", "telehealthLocations { id }"),
        "provider:pia",
        ids_at("node", "telehealthLocations"),
        shown_to(seen_by(PIA_MANAGERS, "telehealth:pia")),
    ),
    "Provider.licenses (pending ones)": Read(
        node_field("Provider", "licenses { id }"),
        "provider:pia",
        ids_at("node", "licenses"),
        shown_to(seen_by(EVERYONE) | seen_by((*PIA_MANAGERS, STAFF), "license:pia-pending")),
    ),
    "Provider.calendarFeedUrl": Read(
        node_field("Provider", "calendarFeedUrl"),
        "provider:pia",
        lambda data: [],
        shown_to({PROVIDER: []}),
    ),
    "Group.clients": Read(
        node_field("Group", "clients { edges { node { id } } }"),
        "group",
        connection_at("node", "clients"),
        shown_to(seen_by(GROUP_INSIDERS, "client:cleo")),
    ),
    "Group.appointments": Read(
        node_field("Group", "appointments { edges { node { id } } }"),
        "group",
        connection_at("node", "appointments"),
        # Staff sees appointments "for payouts and removals": a group listing is not settled.
        shown_to(seen_by(GROUP_INSIDERS, "appointment:cleo-pia"), DENIED, STAFF),
    ),
    "Group.admins": Read(
        node_field("Group", "admins { id }"),
        "group",
        ids_at("node", "admins"),
        shown_to(seen_by((OWNER, ADMIN, PROVIDER, COLLEAGUE, STAFF), "user:ada", "user:olga")),
    ),
    "Group.providers(includeArchived: true)": Read(
        node_field("Group", "providers(includeArchived: true) { edges { node { id } } }"),
        "group",
        connection_at("node", "providers"),
        shown_to(
            seen_by(EVERYONE, "provider:gale", "provider:olga", "provider:pia")
            | seen_by(
                GROUP_INSIDERS,
                "provider:gale",
                "provider:olga",
                "provider:pia",
                "provider:quinn (archived)",
            )
        ),
    ),
    "Client.appointments": Read(
        node_field("Client", "appointments { edges { node { id } } }"),
        "client:cleo",
        lambda data: NULL if data["node"] is None else edge_ids(data["node"]["appointments"]),
        # Each viewer sees the client's appointments they may see, never care elsewhere.
        shown_to(
            {
                CLIENT: ["appointment:cleo-pia", "appointment:cleo-sol"],
                PROVIDER: ["appointment:cleo-pia"],
                OWNER: ["appointment:cleo-pia"],
                ADMIN: ["appointment:cleo-pia"],
                SOLO: ["appointment:cleo-sol"],
            },
            NULL,
        ),
    ),
    "Client.providers": Read(
        node_field("Client", "providers { id }"),
        "client:cleo",
        lambda data: NULL if data["node"] is None else ids_at("node", "providers")(data),
        shown_to(
            {
                CLIENT: ["provider:pia", "provider:sol"],
                PROVIDER: ["provider:pia"],
                OWNER: ["provider:pia"],
                ADMIN: ["provider:pia"],
                SOLO: ["provider:sol"],
            },
            NULL,
        ),
    ),
    "Client.locations": Read(
        node_field("Client", "locations { id } insurance { payerName }"),
        "client:cleo",
        lambda data: NULL if data["node"] is None else ids_at("node", "locations")(data),
        shown_to(seen_by(CLEO_CARE, "location:cleo"), NULL),
    ),
    "Appointment.client": Read(
        node_field("Appointment", "client { id }"),
        "appointment:cleo-pia",
        lambda data: NULL if data["node"] is None else [data["node"]["client"]["id"]],
        # Staff sees the appointment "without the client".
        shown_to(seen_by((CLIENT, PROVIDER, OWNER, ADMIN), "client:cleo"), NULL) | {STAFF: DENIED},
    ),
    "Conversation.messages": Read(
        node_field("Conversation", "messages { edges { node { id } } }"),
        "conversation:cleo-pia",
        lambda data: NULL if data["node"] is None else connection_at("node", "messages")(data),
        shown_to(seen_by((CLIENT, PROVIDER), "message:cleo-pia", "message:pia-cleo"), NULL),
    ),
    "conversations": Read(
        "query R($id: ID!) { node(id: $id) { id } conversations { edges { node { id } } } }",
        "group",
        connection_at("conversations"),
        shown_to(
            seen_by(SIGNED_IN)
            | seen_by((CLIENT, PROVIDER), "conversation:cleo-pia")
            | seen_by((OTHER_CLIENT, SOLO), "conversation:dan-sol")
        ),
    ),
    "payouts": Read(
        "query R($id: ID!) { payouts(groupId: $id) { id } }",
        "group",
        lambda data: data["payouts"],
        shown_to(seen_by((OWNER, ADMIN, STAFF))),
    ),
    "careEligibility": Read(
        "query R($id: ID!, $client: ID!) "
        "{ careEligibility(providerId: $id, clientId: $client, state: NY) { outcome } }",
        "provider:pia",
        lambda data: [],
        shown_to(seen_by(PIA_MANAGERS)),
    ),
}
READ_BUGS: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize(("name", "viewer"), cases(READS, READ_BUGS))
async def test_nested_reads_show_each_viewer_only_what_the_rules_allow(
    world_api: Api, world: World, name: str, viewer: str
) -> None:
    read = READS[name]
    variables = {"id": world.id(read.target)}
    if "$client" in read.document:
        variables["client"] = world.id("client:cleo")
    result = await world_api(read.document, variables, world.token(viewer))
    expected = read.expected[viewer]
    if expected == DENIED:
        assert error_codes(result) == ["UNAUTHENTICATED" if viewer == ANONYMOUS else "FORBIDDEN"]
        return
    assert "errors" not in result, result["errors"]
    seen = read.value(result["data"])
    assert seen == (NULL if expected == NULL else sorted(world.id(n) for n in expected))


# ------------------------------------------------------ mutations naming another's id

ATTEMPT_BUGS: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize(("name", "viewer"), cases(ATTEMPTS, ATTEMPT_BUGS))
async def test_a_mutation_naming_an_object_the_caller_may_not_touch_is_refused_and_writes_nothing(
    world_api: Api, world: World, name: str, viewer: str
) -> None:
    attempt = ATTEMPTS[name]
    document = (
        f"mutation M($input: {attempt.input_type}!) "
        f"{{ {attempt.mutation}(input: $input) {{ errors {{ code field }} }} }}"
    )
    before = await everything()
    result = await world_api(document, {"input": attempt.request(world)}, world.token(viewer))
    expected = attempt.refused[viewer]
    if viewer == ANONYMOUS:
        assert error_codes(result) == [expected]
    else:
        assert "errors" not in result, result["errors"]
        assert [e["code"] for e in result["data"][attempt.mutation]["errors"]] == [expected]
    assert await everything() == before
