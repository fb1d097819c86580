"""Automatic persisted queries (Apollo's APQ over POST and the WebSocket), their bounded
cache, and PERSISTED_QUERIES=only, the allow-list for production."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from carepath.persisted_queries import DocumentLru
from carepath.settings import Settings, SettingsError, load_settings
from tests.factories import sign_up
from tests.live import Subscriber, in_loop_server
from tests.security.conftest import app_with, client_of
from tests.support import Api

GRAPHQL_RESPONSE = "application/graphql-response+json"
ME = "query Me { me { email } }"
TYPENAME = "query Typename($skip: Boolean!) { __typename @skip(if: $skip) }"
UNKNOWN = "query Unknown { __typename }"


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def persisted(document: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha(document)}}


def hash_only(document: str, **rest: Any) -> dict[str, Any]:
    return {"extensions": persisted(document), **rest}


def code_of(response: httpx.Response) -> str:
    [error] = response.json()["errors"]
    return str(error["extensions"]["code"])


async def test_an_unknown_hash_is_persisted_query_not_found_as_apollo_answers_it(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post(
        "/graphql", json=hash_only(UNKNOWN), headers={"Accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "private, no-cache, must-revalidate"
    assert response.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }


async def test_a_document_sent_with_its_hash_runs_and_later_the_hash_alone_runs_it(
    api: Api,
) -> None:
    account = await sign_up(api, "apq@example.com")
    headers = {"Authorization": f"Bearer {account.token}"}
    first = await api.http.post(
        "/graphql", json={"query": ME, "extensions": persisted(ME)}, headers=headers
    )
    assert first.json() == {"data": {"me": {"email": "apq@example.com"}}}
    again = await api.http.post("/graphql", json=hash_only(ME), headers=headers)
    assert again.json() == {"data": {"me": {"email": "apq@example.com"}}}


async def test_the_hash_alone_carries_variables_and_the_operation_name(
    http: httpx.AsyncClient,
) -> None:
    await http.post(
        "/graphql",
        json={"query": TYPENAME, "variables": {"skip": True}, "extensions": persisted(TYPENAME)},
    )
    for skip, data in ((False, {"__typename": "Query"}), (True, {})):
        response = await http.post(
            "/graphql",
            json=hash_only(TYPENAME, variables={"skip": skip}, operationName="Typename"),
        )
        assert response.json() == {"data": data}


async def test_a_hash_that_does_not_match_its_document_is_refused_and_not_stored(
    http: httpx.AsyncClient,
) -> None:
    document = "query Mismatch { __typename }"
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": sha("something else")}}
    response = await http.post("/graphql", json={"query": document, "extensions": wrong})
    assert response.status_code == 400
    assert code_of(response) == "BAD_REQUEST"
    stored = await http.post("/graphql", json={"extensions": wrong})
    assert code_of(stored) == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "extension",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": sha(UNKNOWN)}},
        {"persistedQuery": {"version": 1, "sha256Hash": "not-a-hash"}},
        {"persistedQuery": "x"},
    ],
)
async def test_a_malformed_persisted_query_is_a_400_in_graphql_json(
    http: httpx.AsyncClient, extension: dict[str, Any]
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": UNKNOWN, "extensions": extension},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert code_of(response) == "BAD_REQUEST"


def test_the_cache_keeps_the_most_recently_used_within_its_count() -> None:
    cache = DocumentLru(max_entries=2, max_chars=1000, max_document_chars=100)
    cache.put("a", "{ a }")
    cache.put("b", "{ b }")
    assert cache.get("a") == "{ a }"  # a is now the most recent
    cache.put("c", "{ c }")
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == ("{ a }", "{ c }")


def test_the_cache_stays_within_its_total_size_and_skips_large_documents() -> None:
    cache = DocumentLru(max_entries=100, max_chars=25, max_document_chars=12)
    cache.put("big", "x" * 13)
    assert cache.get("big") is None and len(cache) == 0
    for key in "abc":
        cache.put(key, key * 10)
    assert cache.chars <= 25
    assert cache.get("a") is None
    assert cache.get("c") == "c" * 10


# PERSISTED_QUERIES=off and =only.


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "persisted-queries.json"
    path.write_text(json.dumps({sha(ME): ME, sha(TYPENAME): TYPENAME}), encoding="utf-8")
    return path


@pytest.fixture
async def allow_list(app: Starlette, settings: Settings, manifest: Path) -> AsyncIterator[Api]:
    only = app_with(settings, persisted_queries="only", persisted_queries_file=manifest)
    async with client_of(only) as api:
        yield api


async def test_only_mode_runs_the_manifests_documents_by_hash_or_text(allow_list: Api) -> None:
    by_hash = await allow_list.http.post("/graphql", json=hash_only(ME))
    assert by_hash.json() == {"data": {"me": None}}
    by_text = await allow_list.http.post(
        "/graphql", json={"query": TYPENAME, "variables": {"skip": False}}
    )
    assert by_text.json() == {"data": {"__typename": "Query"}}


async def test_only_mode_refuses_any_other_document(allow_list: Api) -> None:
    plain = await allow_list.http.post("/graphql", json={"query": UNKNOWN})
    assert plain.status_code == 403
    assert code_of(plain) == "QUERY_NOT_ALLOWED"
    registering = await allow_list.http.post(
        "/graphql", json={"query": UNKNOWN, "extensions": persisted(UNKNOWN)}
    )
    assert registering.status_code == 403
    assert code_of(registering) == "QUERY_NOT_ALLOWED"
    by_hash = await allow_list.http.post("/graphql", json=hash_only(UNKNOWN))
    assert code_of(by_hash) == "PERSISTED_QUERY_NOT_FOUND"


async def test_off_mode_ignores_the_extension_and_says_hashes_are_not_supported(
    app: Starlette, settings: Settings
) -> None:
    async with client_of(app_with(settings, persisted_queries="off")) as api:
        with_text = await api.http.post(
            "/graphql", json={"query": UNKNOWN, "extensions": persisted(UNKNOWN)}
        )
        assert with_text.json() == {"data": {"__typename": "Query"}}
        alone = await api.http.post("/graphql", json=hash_only(UNKNOWN))
    assert alone.status_code == 200
    assert code_of(alone) == "PERSISTED_QUERY_NOT_SUPPORTED"


def test_only_mode_needs_a_manifest() -> None:
    with pytest.raises(SettingsError, match="PERSISTED_QUERIES_FILE"):
        load_settings({"PERSISTED_QUERIES": "only"})
    with pytest.raises(SettingsError, match="PERSISTED_QUERIES"):
        load_settings({"PERSISTED_QUERIES": "sometimes"})


def test_a_manifest_entry_under_another_documents_hash_stops_the_start(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({sha(ME): UNKNOWN}), encoding="utf-8")
    with pytest.raises(SettingsError, match="sha256"):
        app_with(settings, persisted_queries="only", persisted_queries_file=path)


# Over the WebSocket.


@pytest.fixture
async def address(app: Starlette) -> AsyncIterator[str]:
    async with in_loop_server(app) as live:
        yield live


async def send_hash_only(subscriber: Subscriber, document: str) -> dict[str, Any]:
    payload = {"extensions": persisted(document), "variables": {}}
    await subscriber.socket.send(json.dumps({"id": "7", "type": "subscribe", "payload": payload}))
    return await subscriber.next(timeout=2)


async def test_a_subscribe_payload_may_carry_only_a_known_hash(api: Api, address: str) -> None:
    account = await sign_up(api, "wsapq@example.com")
    await api.http.post("/graphql", json={"query": ME, "extensions": persisted(ME)})
    async with Subscriber.connect(address, account.token) as subscriber:
        assert await subscriber.acknowledged()
        reply = await send_hash_only(subscriber, ME)
        assert reply == {
            "id": "7",
            "type": "next",
            "payload": {"data": {"me": {"email": "wsapq@example.com"}}},
        }
        assert (await subscriber.next(timeout=2))["type"] == "complete"


async def test_an_unknown_hash_on_the_websocket_is_an_error_message(api: Api, address: str) -> None:
    account = await sign_up(api, "wsunknown@example.com")
    async with Subscriber.connect(address, account.token) as subscriber:
        assert await subscriber.acknowledged()
        reply = await send_hash_only(subscriber, UNKNOWN)
    assert reply["type"] == "error" and reply["id"] == "7"
    assert reply["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_only_mode_holds_on_the_websocket_too(
    api: Api, settings: Settings, manifest: Path
) -> None:
    account = await sign_up(api, "wsonly@example.com")
    only = app_with(settings, persisted_queries="only", persisted_queries_file=manifest)
    async with in_loop_server(only) as live, Subscriber.connect(live, account.token) as subscriber:
        assert await subscriber.acknowledged()
        await subscriber.subscribe("subscription { messageReceived { id body } }")
        reply = await subscriber.next(timeout=2)
    assert reply["type"] == "error"
    assert reply["payload"][0]["extensions"]["code"] == "QUERY_NOT_ALLOWED"
