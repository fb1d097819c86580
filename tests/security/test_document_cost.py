"""The price of an operation, taken with its variables before anything runs."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx

from carepath.clock import utcnow
from carepath.models import User
from tests.factories import PASSWORD
from tests.scheduling_steps import ALL_DAY, AVAILABLE_SLOTS, a_practice
from tests.support import Api, error_codes

SLOTS = "availableSlots(from: $from, to: $to) { startsAt endsAt }"
MANY_CALENDARS = (
    "query Many($slug: String!, $from: DateTime!, $to: DateTime!) {"
    " providerByBookingSlug(slug: $slug) { %s } }" % " ".join(f"a{n}: {SLOTS}" for n in range(29))
)
DIRECTORY_WITH_SLOTS = (
    "query Week($first: Int, $from: DateTime!, $to: DateTime!) {"
    " providers(first: $first) { edges { node { id %s } } } }" % SLOTS
)
SIGN_UP_WITH_CALENDARS = (
    "mutation($from: DateTime!, $to: DateTime!) {"
    ' signUp(input: {email: "costly@example.com", password: "%s", fullName: "C"}) {'
    " token user { providerProfile { %s } } } }"
    % (PASSWORD, " ".join(f"a{n}: {SLOTS}" for n in range(6)))
)


def days_ahead(days: int) -> dict[str, str]:
    start = utcnow() + timedelta(days=1)
    return {"from": start.isoformat(), "to": (start + timedelta(days=days)).isoformat()}


async def test_twenty_nine_two_month_calendars_are_refused_before_running(api: Api) -> None:
    practice = await a_practice(api, windows=ALL_DAY)
    started = time.monotonic()
    result = await api(MANY_CALENDARS, {"slug": practice.slug, **days_ahead(62)})
    assert time.monotonic() - started < 2  # about 10 s of CPU when it ran
    assert result.get("data") is None
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert "path" not in result["errors"][0]
    assert "limit" in result["errors"][0]["message"]


async def test_one_two_month_calendar_runs(api: Api) -> None:
    practice = await a_practice(api)
    result = await api(AVAILABLE_SLOTS, {"id": practice.id, **days_ahead(62)})
    assert "errors" not in result, result
    assert result["data"]["node"]["availableSlots"]


async def test_page_sizes_from_variables_are_priced(api: Api) -> None:
    week = days_ahead(7)
    small_page = await api(DIRECTORY_WITH_SLOTS, {"first": 10, **week})
    assert "errors" not in small_page, small_page
    default_page = await api(DIRECTORY_WITH_SLOTS, week)  # 100 providers a week each
    assert default_page.get("data") is None
    assert error_codes(default_page) == ["BAD_USER_INPUT"]


async def test_a_refused_mutation_writes_nothing(api: Api) -> None:
    result = await api(SIGN_UP_WITH_CALENDARS, days_ahead(62))
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert await User.all().count() == 0


async def test_a_refusal_is_a_request_error_for_graphql_response_json(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": DIRECTORY_WITH_SLOTS, "variables": days_ahead(7)},
        headers={"Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    assert "data" not in response.json()
