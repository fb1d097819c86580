"""The provider's secret calendar feed: a URL only they see, events with the telehealth
link as location and the client by initials, and 404 once the secret is rotated out."""

from __future__ import annotations

import re

import httpx
import pytest
from icalendar import Calendar

from tests.practice_steps import (
    Person,
    a_client,
    a_group,
    a_group_provider,
    a_provider,
    codes,
    on_roster,
)
from tests.scheduling_steps import (
    LINK,
    ROTATE_CALENDAR_FEED,
    a_practice,
    book,
    events_of,
    local,
    make_bookable,
    scheduled,
    start_of,
)
from tests.support import Api, error_codes

MY_FEED = "query { me { providerProfile { calendarFeedUrl } } }"
FEED_OF = "query Feed($id: ID!) { node(id: $id) { ... on Provider { calendarFeedUrl } } }"
FEED_URL = re.compile(r"^https://api\.carepath\.test(/calendar/[A-Za-z0-9_\-]+\.ics)$")


async def rotate(api: Api, token: str) -> str:
    payload = (await api.data(ROTATE_CALENDAR_FEED, token=token))["rotateCalendarFeed"]
    assert payload["errors"] == []
    url: str = payload["calendarFeedUrl"]
    return url


def path_of(url: str) -> str:
    match = FEED_URL.match(url)
    assert match, url
    return match.group(1)


async def fetch(http: httpx.AsyncClient, url: str) -> httpx.Response:
    return await http.get(path_of(url))


async def test_feed_url_is_null_until_the_first_rotation(api: Api) -> None:
    practice = await a_practice(api)
    me = (await api.data(MY_FEED, token=practice.token))["me"]
    assert me["providerProfile"]["calendarFeedUrl"] is None


async def test_rotation_gives_a_secret_url_on_the_public_api(api: Api) -> None:
    practice = await a_practice(api)
    url = await rotate(api, practice.token)
    assert FEED_URL.match(url), url
    me = (await api.data(MY_FEED, token=practice.token))["me"]
    assert me["providerProfile"]["calendarFeedUrl"] == url


async def test_feed_shows_appointments_with_the_link_and_the_clients_initials(
    api: Api, http: httpx.AsyncClient
) -> None:
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo.quinn@example.com", "Cleo Quinn")
    client_id = await on_roster(api, practice.provider, practice.id, cleo)
    starts_at = local(5, "10:00")
    await scheduled(api, practice, client_id, starts_at)
    response = await fetch(http, await rotate(api, practice.token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    [event] = events_of(Calendar.from_ical(response.content))
    assert (start_of(event), str(event["LOCATION"])) == (starts_at, LINK)
    assert re.search(r"\bC\.?\s*Q\.?", str(event["SUMMARY"])), event["SUMMARY"]
    for secret in ("Cleo", "Quinn", "cleo.quinn@example.com"):
        assert secret not in response.text


async def test_feed_holds_only_the_providers_own_appointments(
    api: Api, http: httpx.AsyncClient
) -> None:
    practice = await a_practice(api)
    other = await a_practice(api, "bob@example.com", "Bob Provider")
    cleo = await a_client(api, "cleo@example.com")
    dan = await a_client(api, "dan@example.com", "Dan Doe")
    await book(api, cleo, practice.slug, local(3, "10:00"))
    await book(api, dan, other.slug, local(3, "11:00"))
    response = await fetch(http, await rotate(api, practice.token))
    events = events_of(Calendar.from_ical(response.content))
    assert [start_of(e) for e in events] == [local(3, "10:00")]


async def test_a_rotated_out_url_is_not_found(api: Api, http: httpx.AsyncClient) -> None:
    practice = await a_practice(api)
    old = await rotate(api, practice.token)
    new = await rotate(api, practice.token)
    assert new != old
    assert (await fetch(http, old)).status_code == 404
    assert (await fetch(http, new)).status_code == 200


async def test_an_unknown_secret_is_not_found(http: httpx.AsyncClient) -> None:
    response = await http.get("/calendar/not-a-real-secret.ics")
    assert response.status_code == 404


async def other_viewer(api: Api, who: str) -> Person:
    if who == "another provider":
        return await a_provider(api, "bob@example.com", "Bob Provider")
    return await a_client(api, "cleo@example.com")


@pytest.mark.parametrize("who", ["another provider", "a client"])
async def test_feed_url_is_forbidden_to_anyone_else(api: Api, who: str) -> None:
    practice = await a_practice(api)
    url = await rotate(api, practice.token)
    viewer = await other_viewer(api, who)
    result = await api(FEED_OF, {"id": practice.id}, token=viewer.token)
    assert error_codes(result) == ["FORBIDDEN"]
    assert path_of(url) not in str(result)


async def test_feed_url_is_forbidden_to_the_group_admin(api: Api) -> None:
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    group_id = await a_group(api, owner)
    member = await a_group_provider(api, group_id, owner, "gale@example.com")
    practice = await make_bookable(api, member)
    url = await rotate(api, practice.token)
    result = await api(FEED_OF, {"id": practice.id}, token=owner.token)
    assert error_codes(result) == ["FORBIDDEN"]
    assert path_of(url) not in str(result)


async def test_feed_url_needs_a_signed_in_viewer(api: Api) -> None:
    practice = await a_practice(api)
    await rotate(api, practice.token)
    result = await api(FEED_OF, {"id": practice.id})
    assert error_codes(result) == ["UNAUTHENTICATED"]


async def test_a_client_has_no_feed_to_rotate(api: Api) -> None:
    cleo = await a_client(api, "cleo@example.com")
    payload = (await api.data(ROTATE_CALENDAR_FEED, token=cleo.token))["rotateCalendarFeed"]
    assert (payload["calendarFeedUrl"], codes(payload)) == (None, ["PROVIDER_ONLY"])
