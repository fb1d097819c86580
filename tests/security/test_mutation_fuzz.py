"""Every mutation, fed hostile input through the real app: no 5xx, no internal error, and
every top-level error carries an `extensions.code`.

Inputs come from the schema itself (tests/security/fuzz_inputs.py), so a new mutation is
fuzzed without anyone listing it. Each (mutation, viewer) runs a few derandomized
examples: the same ones every run, so a failure here reproduces. The signed-in viewers
act inside a small practice (a group owner who is a provider, a client who booked them
and wrote to them), and the ids they may see are among the ids the fuzzer draws.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from carepath.api import schema as carepath_schema
from carepath.schema.ids import to_global_id
from carepath.settings import Settings
from tests.factories import PASSWORD
from tests.practice_steps import (
    LOG_IN,
    a_client,
    a_group,
    a_provider,
    succeed,
)
from tests.scheduling_steps import book, local, make_bookable
from tests.security.conftest import shared_world
from tests.security.fuzz_inputs import arguments, document, mutation_names
from tests.security.world import SEND_MESSAGE
from tests.support import Api, SmtpServer

GRAPHQL = carepath_schema._schema
MUTATIONS = mutation_names(GRAPHQL)
ANONYMOUS = "anonymous"
CLIENT = "client"
PROVIDER = "provider"
EXAMPLES = 5


@dataclass
class FuzzWorld:
    tokens: dict[str, str | None] = field(default_factory=lambda: {ANONYMOUS: None})
    emails: dict[str, str] = field(default_factory=dict)
    known_ids: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)


@pytest.fixture(autouse=True)
async def clean_database() -> None:
    """Replaces the per-test wipe: the module shares one small practice (wiped below)."""


@pytest.fixture(scope="module")
def fuzz_api(module_api: Api) -> Api:
    return module_api


@pytest.fixture(scope="module")
async def fuzz_world(
    fuzz_api: Api, settings: Settings, smtp_server: SmtpServer
) -> AsyncIterator[FuzzWorld]:
    async with shared_world(lambda: a_fuzz_world(fuzz_api), settings, smtp_server) as built:
        yield built


async def a_fuzz_world(api: Api) -> FuzzWorld:
    owner = await a_provider(api, "olga@example.com", "Olga Owner")
    group_id = await a_group(api, owner)
    practice = await make_bookable(api, owner)
    client = await a_client(api, "cleo@example.com", "Cleo Client")
    booked = await book(api, client, practice.slug, local(2, "10:00"))
    assert booked["errors"] == [], booked["errors"]
    message = await succeed(
        api,
        SEND_MESSAGE,
        "sendMessage",
        {"providerId": practice.id, "body": "Hello"},
        client.token,
    )
    known = [
        group_id,
        practice.id,
        owner.account.user_id,
        client.account.user_id,
        booked["appointment"]["id"],
        message["message"]["id"],
        message["message"]["conversation"]["id"],
    ]
    assert client.client_id is not None
    known.append(client.client_id)
    return FuzzWorld(
        tokens={ANONYMOUS: None, CLIENT: client.token, PROVIDER: owner.token},
        emails={CLIENT: client.email, PROVIDER: owner.email},
        known_ids=known,
        ids={
            "group": group_id,
            "provider": practice.id,
            "client": client.client_id,
            "appointment": booked["appointment"]["id"],
            "conversation": message["message"]["conversation"]["id"],
            "slug": practice.slug,
        },
    )


def assert_well_formed(response: httpx.Response) -> None:
    """No 5xx, no masked internal error, a code on every error raised while executing.

    Errors GraphQL raises before execution (a variable it cannot coerce) carry no path;
    that they carry no code either is pinned separately, below.
    """
    assert response.status_code < 500, response.text[:500]
    body = response.json()
    for error in body.get("errors", []):
        code = (error.get("extensions") or {}).get("code")
        assert code != "INTERNAL_SERVER_ERROR", error
        assert error.get("message") != "Internal error.", error
        if "path" in error:
            assert code is not None, error


KNOWN_BUGS: dict[tuple[str, str], str] = {}


def cases() -> list[Any]:
    found = []
    for name in MUTATIONS:
        for viewer in (ANONYMOUS, CLIENT, PROVIDER):
            bug = KNOWN_BUGS.get((name, viewer))
            marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
            found.append(pytest.param(name, viewer, marks=marks, id=f"{name}-{viewer}"))
    return found


async def token_for(api: Api, world: FuzzWorld, name: str, viewer: str) -> str | None:
    """The viewer's token; logOut gets a fresh session so it never ends the shared one."""
    if name != "logOut" or viewer == ANONYMOUS:
        return world.tokens[viewer]
    request = {"email": world.emails[viewer], "password": PASSWORD}
    token: str = (await succeed(api, LOG_IN, "logIn", request, None))["token"]
    return token


@pytest.mark.parametrize(("name", "viewer"), cases())
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure reports its input as is
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(data=st.data())
async def test_every_mutation_answers_hostile_input_with_coded_errors_never_a_crash(
    fuzz_api: Api, fuzz_world: FuzzWorld, name: str, viewer: str, data: st.DataObject
) -> None:
    variables = data.draw(arguments(GRAPHQL, name, fuzz_world.known_ids), label="variables")
    token = await token_for(fuzz_api, fuzz_world, name, viewer)
    response = await fuzz_api.post(document(GRAPHQL, name), variables, token)
    assert_well_formed(response)


# ------------------------------------------------------- pinned hostile values
# The fuzzer's few examples per mutation cannot promise to hit every edge; these do, on
# every run. Each names a mutation, who sends it, and an input built from the world's ids.

LONG_EMAIL = "a" * 300 + "@example.com"
LONG_TOKEN = "t" * 10_000
NUL_EMAIL = "olga\x00@example.com"
FAR_FUTURE_WEST = "9999-12-31T23:59:59-12:00"  # later than datetime.max once in UTC
FAR_PAST_EAST = "0001-01-01T00:00:00+14:00"  # earlier than datetime.min once in UTC


@dataclass(frozen=True)
class Pinned:
    mutation: str
    viewer: str
    request: Any  # (ids) -> input


def _appointment(**extra: Any) -> Any:
    return lambda ids: {"appointmentId": ids["appointment"]} | extra


def _follow_up(**extra: Any) -> Any:
    base = {"durationMinutes": 50, "modality": "TELEHEALTH"}
    return lambda ids: {"providerId": ids["provider"], "clientId": ids["client"]} | base | extra


def _on(key: str, name: str, **extra: Any) -> Any:
    return lambda ids: {name: ids[key]} | extra


def _fixed(**values: Any) -> Any:
    return lambda ids: values


PINNED: dict[str, Pinned] = {
    # Lookups by a value longer than its column.
    "logIn with a 300-character email": Pinned(
        "logIn", ANONYMOUS, _fixed(email=LONG_EMAIL, password=PASSWORD)
    ),
    "requestPasswordReset with a 300-character email": Pinned(
        "requestPasswordReset", ANONYMOUS, _fixed(email=LONG_EMAIL)
    ),
    "signUp with a 300-character email": Pinned(
        "signUp", ANONYMOUS, _fixed(email=LONG_EMAIL, password=PASSWORD, fullName="Al")
    ),
    "verifyEmail with a 10k token": Pinned("verifyEmail", ANONYMOUS, _fixed(token=LONG_TOKEN)),
    "resetPassword with a 10k token": Pinned(
        "resetPassword", ANONYMOUS, _fixed(token=LONG_TOKEN, newPassword=PASSWORD)
    ),
    "addClientToRoster with a 300-character email": Pinned(
        "addClientToRoster", PROVIDER, _on("provider", "providerId", email=LONG_EMAIL)
    ),
    "addProviderToGroup with a 300-character email": Pinned(
        "addProviderToGroup", PROVIDER, _on("group", "groupId", email=LONG_EMAIL, displayName="X")
    ),
    "addGroupAdmin with a 300-character email": Pinned(
        "addGroupAdmin", PROVIDER, _on("group", "groupId", email=LONG_EMAIL)
    ),
    "bookFirstAppointment with a 100-character slug": Pinned(
        "bookFirstAppointment",
        CLIENT,
        _fixed(bookingSlug="s" * 100, startsAt="2030-01-07T15:00:00+00:00", modality="PHONE"),
    ),
    # NUL bytes, which PostgreSQL refuses in text.
    "logIn with a NUL in the email": Pinned(
        "logIn", ANONYMOUS, _fixed(email=NUL_EMAIL, password=PASSWORD)
    ),
    "requestPasswordReset with a NUL in the email": Pinned(
        "requestPasswordReset", ANONYMOUS, _fixed(email=NUL_EMAIL)
    ),
    "signUp with a NUL in the email": Pinned(
        "signUp", ANONYMOUS, _fixed(email="n\x00@example.com", password=PASSWORD, fullName="N")
    ),
    "signUp with a NUL in the password": Pinned(
        "signUp",
        ANONYMOUS,
        _fixed(email="nul@example.com", password=PASSWORD + "\x00", fullName="N"),
    ),
    "verifyEmail with a NUL in the token": Pinned("verifyEmail", ANONYMOUS, _fixed(token="a\x00")),
    "resetPassword with a NUL in the token": Pinned(
        "resetPassword", ANONYMOUS, _fixed(token="a\x00", newPassword=PASSWORD)
    ),
    "bookFirstAppointment with a NUL in the slug": Pinned(
        "bookFirstAppointment",
        CLIENT,
        _fixed(bookingSlug="a\x00b", startsAt="2030-01-07T15:00:00+00:00", modality="PHONE"),
    ),
    "addClientToRoster with a NUL in the email": Pinned(
        "addClientToRoster", PROVIDER, _on("provider", "providerId", email=NUL_EMAIL)
    ),
    "addGroupAdmin with a NUL in the email": Pinned(
        "addGroupAdmin", PROVIDER, _on("group", "groupId", email=NUL_EMAIL)
    ),
    "sendMessage with a NUL in the body": Pinned(
        "sendMessage", CLIENT, _on("conversation", "conversationId", body="hi\x00there")
    ),
    "setInsurance with a NUL in the payer": Pinned(
        "setInsurance", CLIENT, _on("client", "clientId", payerName="Ae\x00tna", inNetwork=True)
    ),
    "addClientLocation with a NUL in the label": Pinned(
        "addClientLocation", CLIENT, _on("client", "clientId", state="NY", label="Ho\x00me")
    ),
    "updateProvider with a NUL in the bio": Pinned(
        "updateProvider", PROVIDER, _on("provider", "providerId", bio="b\x00io")
    ),
    "updateProvider with a NUL in the time zone": Pinned(
        "updateProvider", PROVIDER, _on("provider", "providerId", timeZone="America/\x00York")
    ),
    "cancelAppointment with a NUL in the reason": Pinned(
        "cancelAppointment", PROVIDER, _appointment(reason="r\x00eason")
    ),
    "addLicense with a NUL in the number": Pinned(
        "addLicense", PROVIDER, _fixed(state="NY", number="N\x00Y-1")
    ),
    # Dates at the ends of the calendar.
    "scheduleAppointment at 9999-12-31 in UTC-12": Pinned(
        "scheduleAppointment", PROVIDER, _follow_up(startsAt=FAR_FUTURE_WEST)
    ),
    "scheduleAppointment ending after 9999-12-31": Pinned(
        "scheduleAppointment",
        PROVIDER,
        _follow_up(startsAt="9999-12-31T23:00:00+00:00", durationMinutes=240),
    ),
    "scheduleAppointment monthly from 9999-12": Pinned(
        "scheduleAppointment",
        PROVIDER,
        _follow_up(
            startsAt="9999-06-01T10:00:00+00:00", recurrence={"frequency": "MONTHLY", "count": 52}
        ),
    ),
    "scheduleAppointment weekly from 9999-12": Pinned(
        "scheduleAppointment",
        PROVIDER,
        _follow_up(
            startsAt="9999-12-01T10:00:00+00:00", recurrence={"frequency": "WEEKLY", "count": 52}
        ),
    ),
    "scheduleAppointment at 0001-01-01 in UTC+14": Pinned(
        "scheduleAppointment", PROVIDER, _follow_up(startsAt=FAR_PAST_EAST)
    ),
    "rescheduleAppointment to 9999-12-31 in UTC-12": Pinned(
        "rescheduleAppointment", PROVIDER, _appointment(startsAt=FAR_FUTURE_WEST)
    ),
    "rescheduleAppointment to 0001-01-01 in UTC+14": Pinned(
        "rescheduleAppointment", PROVIDER, _appointment(startsAt=FAR_PAST_EAST)
    ),
    "bookFirstAppointment at 9999-12-31 in UTC-12": Pinned(
        "bookFirstAppointment",
        CLIENT,
        lambda ids: {"bookingSlug": ids["slug"], "startsAt": FAR_FUTURE_WEST, "modality": "PHONE"},
    ),
    "bookFirstAppointment at 9999-12-31T23:45Z": Pinned(
        "bookFirstAppointment",
        CLIENT,
        lambda ids: {
            "bookingSlug": ids["slug"],
            "startsAt": "9999-12-31T23:45:00+00:00",
            "modality": "PHONE",
        },
    ),
    # Ints at the 32-bit edges.
    "scheduleAppointment for 2**31-1 minutes": Pinned(
        "scheduleAppointment",
        PROVIDER,
        _follow_up(startsAt="2030-01-07T15:00:00+00:00", durationMinutes=2**31 - 1),
    ),
    "scheduleAppointment recurring 2**31-1 times": Pinned(
        "scheduleAppointment",
        PROVIDER,
        _follow_up(
            startsAt="2030-01-07T15:00:00+00:00",
            recurrence={"frequency": "WEEKLY", "count": 2**31 - 1},
        ),
    ),
    "rescheduleAppointment for -2**31 minutes": Pinned(
        "rescheduleAppointment",
        PROVIDER,
        _appointment(startsAt="2030-01-07T15:00:00+00:00", durationMinutes=-(2**31)),
    ),
    "setAvailability on weekday 2**31-1": Pinned(
        "setAvailability",
        PROVIDER,
        _on(
            "provider",
            "providerId",
            windows=[{"weekday": 2**31 - 1, "start": "09:00", "end": "10:00"}],
        ),
    ),
    # Ids naming pks no column can hold.
    "setInsurance for Client pk 2**63": Pinned(
        "setInsurance",
        PROVIDER,
        _fixed(clientId=to_global_id("Client", 2**63), payerName="Aetna", inNetwork=True),
    ),
    "cancelAppointment for Appointment pk 2**31": Pinned(
        "cancelAppointment", PROVIDER, _fixed(appointmentId=to_global_id("Appointment", 2**31))
    ),
}
PINNED_BUGS: dict[str, str] = {}


def pinned_cases() -> list[Any]:
    found = []
    for name in PINNED:
        reason = PINNED_BUGS.get(name)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        found.append(pytest.param(name, marks=marks, id=name))
    return found


@pytest.mark.parametrize("name", pinned_cases())
async def test_edge_values_are_refused_or_accepted_never_a_crash(
    fuzz_api: Api, fuzz_world: FuzzWorld, name: str
) -> None:
    case = PINNED[name]
    variables = {"input": case.request(fuzz_world.ids)}
    token = fuzz_world.tokens[case.viewer]
    response = await fuzz_api.post(document(GRAPHQL, case.mutation), variables, token)
    assert_well_formed(response)


# ------------------------------------------------ errors raised before execution

UNCOERCIBLE = {
    "null for a non-null input": ("setInsurance", {"input": None}),
    "an Int over 32 bits": (
        "scheduleAppointment",
        {
            "input": {
                "providerId": "x",
                "clientId": "y",
                "startsAt": "2030-01-07T15:00:00+00:00",
                "modality": "TELEHEALTH",
                "durationMinutes": 2**31,
            }
        },
    ),
    "an unknown enum value": ("addLicense", {"input": {"state": "XX", "number": "1"}}),
}


@pytest.mark.parametrize("case", list(UNCOERCIBLE))
async def test_errors_raised_before_execution_carry_a_code(
    fuzz_api: Api, fuzz_world: FuzzWorld, case: str
) -> None:
    name, variables = UNCOERCIBLE[case]
    response = await fuzz_api.post(document(GRAPHQL, name), variables, fuzz_world.tokens[PROVIDER])
    assert response.status_code < 500
    errors = response.json()["errors"]
    assert errors
    assert all((e.get("extensions") or {}).get("code") for e in errors), errors
    assert {e["extensions"]["code"] for e in errors} <= {
        "BAD_USER_INPUT",
        "GRAPHQL_VALIDATION_FAILED",
    }
