"""One practice world for the security tests, built through the API as people would build it.

Care relationships come from bookings (`bookFirstAppointment` puts the client on the
roster and opens messaging), never from `addClientToRoster`, whose consent flow changes.

    group "Calm Minds": owner Olga (a provider), non-clinician admin Ada,
                        providers Pia (Cleo's) and Gale (nobody's), Quinn (archived)
    solo provider Sol:  Cleo's other provider and Dan's provider
    another group:      owner Rita, non-clinician admin Ari
    outsiders:          client Xena, provider Uma (no care with anyone), staff
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from carepath.models import (
    AccountToken,
    AuditEvent,
    AuthSession,
    OutboxEmail,
    PhiAccessEvent,
)
from carepath.models import __all__ as model_names
from tests.practice_steps import (
    ADD_CLIENT_LOCATION,
    ARCHIVE_PROVIDER,
    SET_INSURANCE,
    Person,
    a_client,
    a_group,
    a_group_admin,
    a_group_provider,
    a_license,
    a_provider,
    a_staff_member,
    succeed,
)
from tests.scheduling_steps import a_practice, book, local, make_bookable
from tests.support import Api

ANONYMOUS = "anonymous"
CLIENT = "client Cleo"
PROVIDER = "Cleo's group provider Pia"
COLLEAGUE = "Pia's colleague Gale"
OWNER = "group owner Olga"
ADMIN = "group admin Ada"
SOLO = "solo provider Sol"
OTHER_CLIENT = "Sol's client Dan"
STRANGER_CLIENT = "unrelated client Xena"
STRANGER_PROVIDER = "unrelated provider Uma"
OTHER_ADMIN = "another group's admin Ari"
STAFF = "staff"
VIEWERS = [
    ANONYMOUS,
    CLIENT,
    PROVIDER,
    COLLEAGUE,
    OWNER,
    ADMIN,
    SOLO,
    OTHER_CLIENT,
    STRANGER_CLIENT,
    STRANGER_PROVIDER,
    OTHER_ADMIN,
    STAFF,
]

SEND_MESSAGE = """
mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) { message { id conversation { id } } errors { code field } }
}
"""


@dataclass
class World:
    """Global ids by name (`ids`) and each viewer's bearer token (`tokens`)."""

    ids: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str | None] = field(default_factory=lambda: {ANONYMOUS: None})
    emails: dict[str, str] = field(default_factory=dict)

    def id(self, name: str) -> str:
        return self.ids[name]

    def token(self, viewer: str) -> str | None:
        return self.tokens[viewer]


def _provider_id(person: Person) -> str:
    assert person.provider_id is not None
    return person.provider_id


def _client_id(person: Person) -> str:
    assert person.client_id is not None
    return person.client_id


async def _booked(api: Api, client: Person, slug: str, days: int, clock: str) -> str:
    payload = await book(api, client, slug, local(days, clock))
    assert payload["errors"] == [], payload["errors"]
    appointment_id: str = payload["appointment"]["id"]
    return appointment_id


async def _sent(api: Api, sender: Person, recipient: dict[str, str], body: str) -> dict[str, Any]:
    request = recipient | {"body": body}
    payload = await succeed(api, SEND_MESSAGE, "sendMessage", request, sender.token)
    message: dict[str, Any] = payload["message"]
    return message


async def _with_insurance_and_location(api: Api, client: Person, state: str) -> str:
    """The client records their own insurance and a session location; the location's id."""
    client_id = _client_id(client)
    insurance = {"clientId": client_id, "payerName": "Aetna", "inNetwork": True}
    await succeed(api, SET_INSURANCE, "setInsurance", insurance, client.token)
    location = {"clientId": client_id, "state": state, "label": "Home"}
    payload = await succeed(api, ADD_CLIENT_LOCATION, "addClientLocation", location, client.token)
    location_id: str = payload["clientLocation"]["id"]
    return location_id


async def a_world(api: Api) -> World:
    world = World()
    olga = await a_provider(api, "olga@example.com", "Olga Owner")
    group_id = await a_group(api, olga)
    ada = await a_group_admin(api, group_id, olga, "ada@example.com")
    pia = await a_group_provider(api, group_id, olga, "pia@example.com", "Pia Provider")
    pia_practice = await make_bookable(api, pia)
    gale = await a_group_provider(api, group_id, olga, "gale@example.com", "Gale Groupie")
    quinn = await a_group_provider(api, group_id, olga, "quinn@example.com", "Quinn Quiet")
    await succeed(
        api, ARCHIVE_PROVIDER, "archiveProvider", {"providerId": quinn.provider_id}, olga.token
    )
    pending_license = await a_license(api, pia, "TX", number="TX-PENDING")
    sol = await a_practice(api, "sol@example.com", "Sol Solo")

    cleo = await a_client(api, "cleo@example.com", "Cleo Client")
    dan = await a_client(api, "dan@example.com", "Dan Doe")
    apt_group = await _booked(api, cleo, pia_practice.slug, 2, "10:00")
    apt_cleo_solo = await _booked(api, cleo, sol.slug, 2, "11:00")
    apt_dan = await _booked(api, dan, sol.slug, 2, "13:00")
    cleo_location = await _with_insurance_and_location(api, cleo, "NY")
    dan_location = await _with_insurance_and_location(api, dan, "NJ")

    hello = await _sent(api, cleo, {"providerId": _provider_id(pia)}, "Hello Pia")
    conversation_id = hello["conversation"]["id"]
    reply = await _sent(api, pia, {"conversationId": conversation_id}, "Hello Cleo")
    dan_hello = await _sent(api, dan, {"providerId": sol.id}, "Hello Sol")

    xena = await a_client(api, "xena@example.com", "Xena Stranger")
    uma = await a_provider(api, "uma@example.com", "Uma Unrelated")
    rita = await a_provider(api, "rita@example.com", "Rita Rival")
    rival_group = await a_group(api, rita, "Rivals")
    ari = await a_group_admin(api, rival_group, rita, "ari@example.com")
    staff = await a_staff_member(api)

    people = {
        CLIENT: cleo,
        PROVIDER: pia,
        COLLEAGUE: gale,
        OWNER: olga,
        ADMIN: ada,
        SOLO: sol.provider,
        OTHER_CLIENT: dan,
        STRANGER_CLIENT: xena,
        STRANGER_PROVIDER: uma,
        OTHER_ADMIN: ari,
        STAFF: staff,
    }
    world.tokens |= {viewer: person.token for viewer, person in people.items()}
    world.emails = {viewer: person.email for viewer, person in people.items()}
    world.ids = {
        "group": group_id,
        "rival group": rival_group,
        "user:cleo": cleo.account.user_id,
        "user:pia": pia.account.user_id,
        "user:olga": olga.account.user_id,
        "user:ada": ada.account.user_id,
        "client:cleo": _client_id(cleo),
        "client:dan": _client_id(dan),
        "location:cleo": cleo_location,
        "location:dan": dan_location,
        "provider:olga": _provider_id(olga),
        "provider:pia": _provider_id(pia),
        "provider:gale": _provider_id(gale),
        "provider:quinn (archived)": _provider_id(quinn),
        "provider:sol": sol.id,
        "provider:uma": _provider_id(uma),
        "telehealth:pia": await _first_platform(api, pia),
        "appointment:cleo-pia": apt_group,
        "appointment:cleo-sol": apt_cleo_solo,
        "appointment:dan-sol": apt_dan,
        "conversation:cleo-pia": conversation_id,
        "conversation:dan-sol": dan_hello["conversation"]["id"],
        "message:cleo-pia": hello["id"],
        "message:pia-cleo": reply["id"],
        "message:dan-sol": dan_hello["id"],
        "license:pia-pending": pending_license,
    }
    return world


async def _first_platform(api: Api, provider: Person) -> str:
    query = "query { me { providerProfile { telehealthLocations { id } } } }"
    data = await api.data(query, token=provider.token)
    location_id: str = data["me"]["providerProfile"]["telehealthLocations"][0]["id"]
    return location_id


# Sessions, one-time tokens, the audit trail and the PHI access log change with every
# request or refusal; the outbox's delivery columns change as the mail worker sends.
_VOLATILE = {AuthSession, AccountToken, AuditEvent, OutboxEmail, PhiAccessEvent}


async def everything() -> dict[str, Any]:
    """Every row a refused mutation must leave as it was (outbox: which emails exist)."""
    import carepath.models as models

    state: dict[str, Any] = {}
    for name in model_names:
        model = getattr(models, name)
        if model not in _VOLATILE:
            state[name] = await model.all().order_by("id").values()
    state["OutboxEmail"] = await OutboxEmail.all().order_by("id").values_list("id", flat=True)
    return state
