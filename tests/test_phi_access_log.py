"""The PHI access log: reads of a client's PHI by anyone but the client, and refused accesses,
one row per object, written once per request; readable by staff and the group's admins;
append-only in the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from starlette.applications import Starlette
from tortoise import connections

from carepath.clock import utcnow
from carepath.models import Appointment, ClientLocation, Insurance, PhiAccessEvent
from carepath.models.enums import AppointmentKind, AppointmentStatus, BookedBy, Modality
from carepath.schema.ids import to_global_id
from carepath.settings import Settings
from tests.live import Subscriber, in_loop_server
from tests.practice_steps import (
    ADD_CLIENT_LOCATION,
    SET_INSURANCE,
    Person,
    Team,
    a_client,
    a_group,
    a_group_admin,
    a_provider,
    a_staff_member,
    a_team,
    client_row,
    mutate,
    on_roster,
    provider_row,
    succeed,
)
from tests.support import Api, error_codes

READ_CLIENT = """
query ReadClient($id: ID!, $first: Int) {
  node(id: $id) {
    ... on Client {
      fullName email insurance { payerName inNetwork } locations { id state label }
      appointments(first: $first) { edges { node { id startsAt status clientLocation { id } } } }
    }
  }
}
"""
NODE = "query Peek($id: ID!) { node(id: $id) { id } }"
APPOINTMENT_CLIENT = """
query Look($id: ID!) { node(id: $id) { ... on Appointment { startsAt client { id } } } }
"""
LOG = """
query Log($groupId: ID, $clientId: ID, $actorId: ID, $outcome: PhiAccessOutcome,
          $from: DateTime, $to: DateTime, $first: Int, $after: String) {
  phiAccessLog(groupId: $groupId, clientId: $clientId, actorId: $actorId, outcome: $outcome,
               from: $from, to: $to, first: $first, after: $after) {
    edges { node { id occurredAt actorId actorRoles action objectType objectId clientId
                   outcome requestId operationName } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
ON_MESSAGE = "subscription OnMessage { messageReceived { body } }"
SEND = """
mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { errors { code } } }
"""


@dataclass
class World:
    """Group G (owner, non-clinician admin, provider P) with client C on P's roster: C has
    an insurance, two session locations and two appointments with P, booked in G."""

    team: Team
    client: Person
    client_pk: int
    insurance_pk: int
    location_pks: list[int]
    appointment_pks: list[int]

    @property
    def provider(self) -> Person:
        return self.team.member

    @property
    def client_id(self) -> str:
        assert self.client.client_id is not None
        return self.client.client_id

    def phi_objects(self) -> set[tuple[str, int]]:
        return (
            {("Client", self.client_pk), ("Insurance", self.insurance_pk)}
            | {("ClientLocation", pk) for pk in self.location_pks}
            | {("Appointment", pk) for pk in self.appointment_pks}
        )


async def appointments(
    provider: Person, client: Person, count: int, first_day: int = 1
) -> list[int]:
    """Model given-step: sessions booked in the provider's group (booking has its own tests)."""
    row = await provider_row(provider)
    client_pk = (await client_row(client)).id
    pks = []
    for day in range(first_day, first_day + count):
        starts_at = utcnow() + timedelta(days=day)
        appointment = await Appointment.create(
            provider_id=row.id,
            client_id=client_pk,
            group_id=row.group_id,
            kind=AppointmentKind.SESSION,
            modality=Modality.TELEHEALTH,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=50),
            status=AppointmentStatus.SCHEDULED,
            booked_by=BookedBy.PROVIDER,
        )
        pks.append(appointment.id)
    return pks


@pytest.fixture
async def world(api: Api) -> World:
    team = await a_team(api)
    client = await a_client(api, "cleo@example.com", "Cleo Client")
    assert team.member.provider_id is not None
    await on_roster(api, team.owner, team.member.provider_id, client)
    client_pk = (await client_row(client)).id
    insurance = {"clientId": client.client_id, "payerName": "Aetna", "inNetwork": True}
    await succeed(api, SET_INSURANCE, "setInsurance", insurance, client.token)
    for state in ("NY", "NJ"):
        place = {"clientId": client.client_id, "state": state, "label": f"home {state}"}
        await succeed(api, ADD_CLIENT_LOCATION, "addClientLocation", place, client.token)
    return World(
        team=team,
        client=client,
        client_pk=client_pk,
        insurance_pk=(await Insurance.get(client_id=client_pk)).id,
        location_pks=[loc.id for loc in await ClientLocation.filter(client_id=client_pk)],
        appointment_pks=await appointments(team.member, client, 2),
    )


async def rows_after(api: Api, query: str, variables: dict[str, Any], token: str | None) -> Any:
    """The log rows a request wrote, and its data."""
    before = await PhiAccessEvent.all().order_by("-id").first()
    data = await api.data(query, variables, token=token)
    rows = await PhiAccessEvent.filter(id__gt=before.id if before else 0).order_by("id")
    return rows, data


def objects(rows: list[PhiAccessEvent]) -> set[tuple[str, int | None]]:
    return {(row.object_type, row.object_id) for row in rows}


async def test_a_provider_and_a_group_admin_reading_a_client_leave_one_row_per_object(
    api: Api, world: World
) -> None:
    for reader, roles in ((world.provider, "PROVIDER"), (world.team.admin, "GROUP_ADMIN")):
        rows, data = await rows_after(api, READ_CLIENT, {"id": world.client_id}, reader.token)
        assert data["node"]["fullName"] == "Cleo Client"
        assert len(rows) == len(world.phi_objects())  # fullName and email: one Client row
        assert objects(rows) == world.phi_objects()
        assert {
            (r.actor_id, r.actor_roles, r.action, r.outcome, r.client_id, r.operation_name)
            for r in rows
        } == {(reader.pk, roles, "read", "ALLOWED", world.client_pk, "ReadClient")}
        assert len({r.request_id for r in rows}) == 1


async def test_the_client_reading_their_own_record_writes_no_row(api: Api, world: World) -> None:
    rows, data = await rows_after(api, READ_CLIENT, {"id": world.client_id}, world.client.token)
    assert data["node"]["insurance"]["payerName"] == "Aetna"
    assert rows == []


async def test_a_node_refused_to_another_provider_or_anonymous_writes_a_denied_row(
    api: Api, world: World
) -> None:
    stranger = await a_provider(api, "uma@example.com", "Uma Unrelated")
    for token, actor, roles in (
        (stranger.token, stranger.pk, "PROVIDER"),
        (None, None, "ANONYMOUS"),
    ):
        rows, data = await rows_after(api, NODE, {"id": world.client_id}, token)
        assert data["node"] is None
        assert [
            (r.object_type, r.object_id, r.outcome, r.actor_id, r.actor_roles, r.action)
            for r in rows
        ] == [("Client", world.client_pk, "DENIED", actor, roles, "read")]


async def test_a_mutation_refused_on_a_clients_record_writes_a_denied_row(
    api: Api, world: World
) -> None:
    stranger = await a_provider(api, "uma@example.com", "Uma Unrelated")
    insurance = {"clientId": world.client_id, "payerName": "Cigna", "inNetwork": False}
    before = await PhiAccessEvent.all().count()
    payload = await mutate(api, SET_INSURANCE, "setInsurance", insurance, stranger.token)
    assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
    rows = await PhiAccessEvent.all().order_by("id").offset(before)
    assert [(r.object_type, r.object_id, r.outcome, r.action) for r in rows] == [
        ("Client", world.client_pk, "DENIED", "setInsurance")
    ]


async def test_a_restricted_field_refused_to_staff_writes_a_denied_row(
    api: Api, world: World
) -> None:
    staff = await a_staff_member(api)
    appointment_id = to_global_id("Appointment", world.appointment_pks[0])
    before = await PhiAccessEvent.all().count()
    result = await api(APPOINTMENT_CLIENT, {"id": appointment_id}, staff.token)
    assert error_codes(result) == ["FORBIDDEN"]
    rows = await PhiAccessEvent.all().order_by("id").offset(before)
    assert {(r.object_type, r.outcome, r.actor_roles) for r in rows} == {
        ("Appointment", "ALLOWED", "STAFF"),  # staff see appointments
        ("Client", "DENIED", "STAFF"),  # never clients
    }


def count_log_inserts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the database connection executes that inserts into the log
    (`execute_many` counts once per row: that is what the driver executes)."""
    db = connections.get("default")
    statements: list[str] = []

    def counted(name: str, per_call: Callable[[Any], int]) -> None:
        original = getattr(db, name)

        async def execute(query: str, *args: Any, **kwargs: Any) -> Any:
            if query.lstrip().upper().startswith("INSERT") and "phi_access_events" in query:
                statements.extend([query] * per_call(args[0] if args else None))
            return await original(query, *args, **kwargs)

        monkeypatch.setattr(db, name, execute)

    counted("execute_query", lambda values: 1)
    counted("execute_insert", lambda values: 1)
    counted("execute_many", lambda values: len(values))
    return statements


async def test_a_request_reading_twenty_appointments_writes_the_log_with_one_insert(
    api: Api, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await appointments(world.provider, world.client, 18, first_day=10)
    statements = count_log_inserts(monkeypatch)
    variables = {"id": world.client_id, "first": 20}
    rows, data = await rows_after(api, READ_CLIENT, variables, world.provider.token)
    assert len(data["node"]["appointments"]["edges"]) == 20
    assert len(statements) == 1
    assert sum(1 for r in rows if r.object_type == "Appointment") == 20
    assert len({r.request_id for r in rows}) == 1


async def test_a_failing_log_write_is_logged_and_the_answer_still_arrives(
    api: Api, world: World, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="carepath.services.phi_log")
    db = connections.get("default")
    refuse, undo = _refusing_trigger(settings)
    await db.execute_script(refuse)
    try:
        data = await api.data(READ_CLIENT, {"id": world.client_id}, token=world.provider.token)
    finally:
        await db.execute_script(undo)
    assert data["node"]["fullName"] == "Cleo Client"
    assert await PhiAccessEvent.all().count() == 0
    assert "PHI access log: 6 access(es) of request" in caplog.text
    assert "Cleo" not in caplog.text and "Aetna" not in caplog.text


def _refusing_trigger(settings: Settings) -> tuple[str, str]:
    """A real database failure on insert into the log, and its removal."""
    if settings.is_sqlite:
        return (
            "CREATE TRIGGER phi_test_refuse BEFORE INSERT ON phi_access_events"
            " BEGIN SELECT RAISE(ABORT, 'refused for the test'); END",
            "DROP TRIGGER phi_test_refuse",
        )
    return (
        "CREATE FUNCTION phi_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN RAISE EXCEPTION 'refused for the test'; END $$;"
        " CREATE TRIGGER phi_test_refuse BEFORE INSERT ON phi_access_events"
        " FOR EACH STATEMENT EXECUTE FUNCTION phi_test_refuse()",
        "DROP TRIGGER phi_test_refuse ON phi_access_events; DROP FUNCTION phi_test_refuse()",
    )


@pytest.fixture
async def address(app: Starlette) -> AsyncIterator[str]:
    async with in_loop_server(app) as live:
        yield live


async def answer(socket: Subscriber, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    operation_id = await socket.subscribe(query, variables)
    reply = await socket.next(timeout=3)
    assert (reply["id"], reply["type"]) == (operation_id, "next"), reply
    assert await socket.next(timeout=3) == {"id": operation_id, "type": "complete"}
    payload: dict[str, Any] = reply["payload"]
    return payload


async def rows_by(actor: Person, object_type: str) -> list[PhiAccessEvent]:
    return await PhiAccessEvent.filter(actor_id=actor.pk, object_type=object_type)


async def test_over_the_websocket_each_operation_and_each_event_is_logged_on_its_own(
    api: Api, world: World, address: str
) -> None:
    async with Subscriber.connect(address, world.provider.token) as socket:
        assert await socket.acknowledged()
        for _ in range(2):
            payload = await answer(socket, READ_CLIENT, {"id": world.client_id})
            assert payload["data"]["node"]["email"] == "cleo@example.com"
        rows = await PhiAccessEvent.filter(actor_id=world.provider.pk)
        assert len(rows) == 2 * len(world.phi_objects())
        assert len({r.request_id for r in rows}) == 2
        await socket.subscribe(ON_MESSAGE)
        await asyncio.sleep(0.1)
        message = {"providerId": world.provider.provider_id, "body": "Running late"}
        result = await api.data(SEND, {"input": message}, token=world.client.token)
        assert result["sendMessage"]["errors"] == []
        assert (await socket.next(timeout=2))["type"] == "next"
        for _ in range(50):  # written once the event has been sent
            if await rows_by(world.provider, "Message"):
                break
            await asyncio.sleep(0.02)
        [read] = await rows_by(world.provider, "Message")  # while the subscription runs
        assert (read.client_id, read.operation_name, read.outcome) == (
            world.client_pk,
            "OnMessage",
            "ALLOWED",
        )


# Reading the log.


def log_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in data["phiAccessLog"]["edges"]]


@pytest.fixture
async def logged(api: Api, world: World) -> dict[str, Person]:
    """Reads by the group's provider, admin and owner, and a refusal to an outsider who
    administers another group."""
    outsider = await a_provider(api, "rita@example.com", "Rita Rival")
    rival_group = await a_group(api, outsider, "Rivals")
    await a_group_admin(api, rival_group, outsider, "a2@example.com")
    for reader in (world.provider, world.team.admin, world.team.owner, outsider):
        await api(READ_CLIENT, {"id": world.client_id}, reader.token)
    return {"outsider": outsider}


async def test_staff_read_the_whole_log_newest_first(api: Api, world: World, logged: Any) -> None:
    staff = await a_staff_member(api)
    rows = log_rows(await api.data(LOG, {}, token=staff.token))
    assert len(rows) == await PhiAccessEvent.all().count() == 3 * 6 + 1
    times = [row["occurredAt"] for row in rows]
    assert times == sorted(times, reverse=True)
    roles = {tuple(r["actorRoles"]) for r in rows}
    assert roles == {("PROVIDER",), ("GROUP_ADMIN",), ("PROVIDER", "GROUP_ADMIN")}


async def test_a_group_admin_reads_only_what_their_groups_people_did(
    api: Api, world: World, logged: dict[str, Person]
) -> None:
    rows = log_rows(await api.data(LOG, {}, token=world.team.admin.token))
    team = (world.provider, world.team.admin, world.team.owner)
    assert {r["actorId"] for r in rows} == {p.account.user_id for p in team}
    assert len(rows) == 3 * 6
    assert all(r["clientId"] == world.client_id and r["outcome"] == "ALLOWED" for r in rows)
    assert "Cleo" not in str(rows) and "Aetna" not in str(rows)  # ids, never PHI
    mine = {"groupId": world.team.group_id}
    assert len(log_rows(await api.data(LOG, mine, token=world.team.admin.token))) == 3 * 6


async def test_anyone_else_is_refused_the_log(
    api: Api, world: World, logged: dict[str, Person]
) -> None:
    for token in (world.provider.token, world.client.token):
        assert error_codes(await api(LOG, {}, token)) == ["FORBIDDEN"]
    assert error_codes(await api(LOG, {}, None)) == ["UNAUTHENTICATED"]
    theirs = {"groupId": world.team.group_id}
    assert error_codes(await api(LOG, theirs, logged["outsider"].token)) == ["FORBIDDEN"]


async def test_the_log_filters_and_pages(api: Api, world: World, logged: dict[str, Person]) -> None:
    staff = await a_staff_member(api)

    async def read(**variables: Any) -> list[dict[str, Any]]:
        return log_rows(await api.data(LOG, variables, token=staff.token))

    [denied] = await read(outcome="DENIED")
    assert denied["actorId"] == logged["outsider"].account.user_id
    assert denied["objectId"] == world.client_id and denied["operationName"] == "ReadClient"
    by_provider = await read(actorId=world.provider.account.user_id)
    assert len(by_provider) == 6 and {r["actorRoles"][0] for r in by_provider} == {"PROVIDER"}
    assert len(await read(clientId=world.client_id)) == 3 * 6 + 1
    assert await read(clientId=to_global_id("Client", world.client_pk + 99)) == []
    later = (utcnow() + timedelta(minutes=1)).isoformat()
    assert await read(**{"from": later}) == []
    assert len(await read(to=later)) == 3 * 6 + 1
    first = await api.data(LOG, {"first": 4}, token=staff.token)
    page = first["phiAccessLog"]["pageInfo"]
    assert page["hasNextPage"]
    rest = await read(first=100, after=page["endCursor"])
    everything = await read()
    assert [r["id"] for r in log_rows(first) + rest] == [r["id"] for r in everything]


# Append-only.


async def test_the_log_refuses_updates_and_deletes(
    settings: Settings, world: World, api: Api
) -> None:
    await api(READ_CLIENT, {"id": world.client_id}, world.provider.token)
    assert await PhiAccessEvent.all().count() == 6
    db = connections.get("default")
    attempts = [
        PhiAccessEvent.all().update(action="tampered"),
        PhiAccessEvent.all().delete(),
        db.execute_query("UPDATE phi_access_events SET actor_id = NULL"),
        db.execute_query("DELETE FROM phi_access_events"),
    ]
    if not settings.is_sqlite:
        attempts.append(db.execute_query("TRUNCATE phi_access_events"))
    for attempt in attempts:
        with pytest.raises(Exception, match="append-only"):
            await attempt
    assert await PhiAccessEvent.filter(action="read").count() == 6
