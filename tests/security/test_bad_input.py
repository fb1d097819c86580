"""Anonymous junk gets a coded refusal, never an internal error (run on PostgreSQL too,
which refuses NUL in text)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from carepath.models import Message, User
from tests.factories import PASSWORD, sign_up
from tests.live import Subscriber, in_loop_server
from tests.messaging_steps import a_client, a_provider, care_between
from tests.practice_steps import ERRORS, on_roster, provider_input
from tests.practice_steps import a_client as a_person
from tests.scheduling_steps import (
    AVAILABLE_SLOTS,
    BOOK_FIRST_APPOINTMENT,
    a_practice,
    schedule,
)
from tests.support import Api, error_codes

LOG_IN = """
mutation($email: String!) { logIn(input: {email: $email, password: "%s"}) { token %s } }
""" % (PASSWORD, ERRORS)
RESET = "mutation($email: String!) { requestPasswordReset(input: {email: $email}) { ok } }"
BY_SLUG = "query($slug: String!) { providerByBookingSlug(slug: $slug) { id } }"
SEND = "mutation($input: SendMessageInput!) { sendMessage(input: $input) { errors { code } } }"
SIGN_UP = f"mutation($input: SignUpInput!) {{ signUp(input: $input) {{ token {ERRORS} }} }}"
BECOME_PROVIDER = (
    f"mutation($input: BecomeProviderInput!) {{ becomeProvider(input: $input) {{ {ERRORS} }} }}"
)
PROVIDER_APPOINTMENTS = """
query($id: ID!, $from: DateTime, $to: DateTime) { node(id: $id) { ... on Provider {
  appointments(from: $from, to: $to) { edges { node { id } } } } } }
"""
NUL = "a\u0000b@example.com"


def refused_as_bad_input(result: dict[str, Any]) -> None:
    assert result.get("data") is None, result
    assert error_codes(result) == ["BAD_USER_INPUT"]


async def test_nul_in_a_login_email_is_bad_input(api: Api) -> None:
    refused_as_bad_input(await api(LOG_IN, {"email": NUL}))


async def test_nul_in_a_password_reset_email_is_bad_input(api: Api) -> None:
    refused_as_bad_input(await api(RESET, {"email": NUL}))


async def test_nul_in_a_booking_slug_is_bad_input(api: Api) -> None:
    refused_as_bad_input(await api(BY_SLUG, {"slug": "dr\u0000x"}))


async def test_nul_escaped_inside_the_query_text_is_bad_input(api: Api) -> None:
    refused_as_bad_input(await api('{ providerByBookingSlug(slug: "dr\\u0000x") { id } }'))
    refused_as_bad_input(await api('{ providerByBookingSlug(slug: "dr\\u{0}x") { id } }'))


async def test_nul_in_a_message_is_bad_input_and_nothing_is_sent(api: Api) -> None:
    provider, client = await a_provider(api), await a_client(api)
    await care_between(provider, client)
    request = {"input": {"clientId": client.global_id, "body": "hello\u0000"}}
    refused_as_bad_input(await api(SEND, request, token=provider.account.token))
    assert await Message.all().count() == 0


async def test_nul_in_a_variable_name_is_bad_input(api: Api) -> None:
    refused_as_bad_input(await api(BY_SLUG, {"slug": "x", "\u0000": "y"}))


async def test_nul_over_the_websocket_is_bad_input(app: Starlette, api: Api) -> None:
    account = await sign_up(api, "socket@example.com")
    async with (
        in_loop_server(app) as address,
        Subscriber.connect(address, account.token) as subscriber,
    ):
        assert await subscriber.acknowledged()
        await subscriber.subscribe(BY_SLUG, {"slug": "dr\u0000x"})
        reply = await subscriber.next(timeout=5)
    assert reply["type"] in ("next", "error"), reply
    errors = reply["payload"]["errors"] if reply["type"] == "next" else reply["payload"]
    assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "path", ["/calendar/%00.ics", "/calendar/..%2f..%2fetc.ics", "/calendar/a%20b.ics"]
)
async def test_junk_calendar_secrets_are_not_found(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9999-12-30T00:00:00Z", "9999-12-31T23:00:00Z"),
        ("9999-12-31T20:00:00-05:00", "9999-12-31T23:00:00-05:00"),
        ("0001-01-01T00:00:00Z", "0001-01-02T00:00:00Z"),
        ("0001-01-01T00:00:00+05:00", "0001-01-02T00:00:00+05:00"),
    ],
)
async def test_open_slots_at_the_ends_of_time_are_bad_input(api: Api, start: str, end: str) -> None:
    practice = await a_practice(api)
    result = await api(AVAILABLE_SLOTS, {"id": practice.id, "from": start, "to": end})
    assert error_codes(result) == ["BAD_USER_INPUT"], result


async def test_appointment_lists_from_the_year_one_are_bad_input(api: Api) -> None:
    practice = await a_practice(api)
    result = await api(
        PROVIDER_APPOINTMENTS,
        {"id": practice.id, "from": "0001-01-01T00:00:00+05:00"},
        token=practice.token,
    )
    assert error_codes(result) == ["BAD_USER_INPUT"], result


async def test_booking_at_the_end_of_time_is_a_validation_refusal(api: Api) -> None:
    practice = await a_practice(api)
    client = await a_client(api, "late@example.com")
    request = {
        "bookingSlug": practice.slug,
        "startsAt": "9999-12-31T23:45:00-05:00",
        "modality": "PHONE",
    }
    data = await api.data(BOOK_FIRST_APPOINTMENT, {"input": request}, client.account.token)
    payload = data["bookFirstAppointment"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "startsAt")]


async def test_a_series_reaching_past_the_end_of_time_is_a_validation_refusal(api: Api) -> None:
    practice = await a_practice(api)
    client = await a_person(api, "series@example.com")
    client_id = await on_roster(api, practice.provider, practice.id, client)
    payload = await schedule(
        api,
        practice,
        client_id,
        datetime.fromisoformat("9999-10-01T10:00:00+00:00"),
        recurrence={"frequency": "MONTHLY", "count": 52},
    )
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "startsAt")]


@pytest.mark.parametrize("email", ["a\u0001b@example.com", "a\u2028b@example.com"])
async def test_control_characters_in_an_email_are_refused(api: Api, email: str) -> None:
    request = {"input": {"email": email, "password": PASSWORD, "fullName": "X"}}
    payload = (await api.data(SIGN_UP, request))["signUp"]
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("VALIDATION", "email")
    assert "control characters" in error["message"]
    assert await User.all().count() == 0


@pytest.mark.parametrize("name", ["Ann\nBcc: victim@example.com", "Ann\tLee", "Ann\u2028Lee"])
async def test_names_are_one_line(api: Api, name: str) -> None:
    request = {"input": {"email": "ann@example.com", "password": PASSWORD, "fullName": name}}
    payload = (await api.data(SIGN_UP, request))["signUp"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "fullName")]
    account = await sign_up(api, "pat@example.com")
    request = {"input": provider_input(name)}
    payload = (await api.data(BECOME_PROVIDER, request, account.token))["becomeProvider"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "displayName")]


async def test_a_bio_keeps_its_line_breaks(api: Api) -> None:
    account = await sign_up(api, "pat@example.com")
    request = {"input": provider_input("Pat Lee", bio="Line one.\r\nLine two.\n\tIndented.")}
    payload = (await api.data(BECOME_PROVIDER, request, account.token))["becomeProvider"]
    assert payload["errors"] == []
