"""Request bodies: limited in size, one GraphQL request object, refusals as GraphQL JSON."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator

import httpx
import pytest
from graphql import DocumentNode

from carepath.models import User
from carepath.schema.document_cache import CACHE, MAX_CACHED_CHARS, MAX_CACHED_QUERY_CHARS
from carepath.settings import Settings, load_settings
from tests.factories import PASSWORD
from tests.support import Api

SIGN_UP = (
    'mutation { signUp(input: {email: "big@example.com", password: "%s", fullName: "B"})'
    " { token } }" % PASSWORD
)
JSON = {"Content-Type": "application/json"}


def refusal_code(response: httpx.Response) -> str:
    [error] = response.json()["errors"]
    assert error["message"]
    code: str = error["extensions"]["code"]
    return code


def test_the_body_limit_is_one_megabyte_unless_set() -> None:
    assert Settings().max_body_bytes == 1_048_576
    assert load_settings({"MAX_BODY_BYTES": "65536"}).max_body_bytes == 65536


async def test_a_body_over_the_limit_is_refused_and_nothing_runs(
    http: httpx.AsyncClient,
) -> None:
    padding = "#" * 1_100_000 + "\n"  # a comment: still a valid document
    response = await http.post("/graphql", json={"query": padding + SIGN_UP})
    assert response.status_code == 413
    assert refusal_code(response) == "PAYLOAD_TOO_LARGE"
    assert response.headers["connection"] == "close"
    assert await User.all().count() == 0


async def test_a_streamed_body_is_cut_off_at_the_limit(http: httpx.AsyncClient) -> None:
    pulled = 0

    async def four_megabytes() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield b'{"query": "'
        for _ in range(64):
            pulled += 1
            yield b" " * 65536

    response = await http.post("/graphql", content=four_megabytes(), headers=JSON)  # chunked
    assert response.status_code == 413
    assert refusal_code(response) == "PAYLOAD_TOO_LARGE"
    assert pulled <= 1_048_576 // 65536 + 1  # the rest was never read


@pytest.mark.parametrize(
    "body",
    [
        b"null",
        b"5",
        b'"x"',
        b"[]",
        b"[" * 2000 + b"]" * 2000,
        b'{"query": "{ __typename }", "variables": ' + b'{"a": ' * 2000 + b"1" + b"}" * 2001,
        b'{"query": 5}',
        b'{"variables": {}}',
        b'{"query": "{ __typename }", "variables": "x"}',
        b'{"query": "{ __typename }", "variables": []}',
        b'{"query": "{ __typename }", "operationName": 5}',
        b'{"query": "{ __typename }", "extensions": 5}',
        b"\xff\xfe{",
    ],
)
async def test_a_body_that_is_not_one_graphql_request_is_a_400_with_a_code(
    http: httpx.AsyncClient, body: bytes
) -> None:
    response = await http.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert refusal_code(response) == "BAD_REQUEST"


async def test_a_body_that_is_not_json_is_a_415_with_a_code(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", content=b"{ __typename }", headers={"Content-Type": "application/graphql"}
    )
    assert response.status_code == 415
    assert refusal_code(response) == "UNSUPPORTED_MEDIA_TYPE"


async def test_refusals_use_graphql_response_json_when_asked(http: httpx.AsyncClient) -> None:
    accept = "application/graphql-response+json"
    response = await http.post("/graphql", content=b"null", headers={**JSON, "Accept": accept})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(accept)


def _documents_of(query: str) -> list[DocumentNode]:
    gc.collect()
    return [
        o
        for o in gc.get_objects()
        if isinstance(o, DocumentNode) and o.loc is not None and o.loc.source.body == query
    ]


async def test_a_large_document_is_not_kept_after_its_request(api: Api) -> None:
    large = "{ __typename }\n" + "# padding\n" * (MAX_CACHED_QUERY_CHARS // 10)
    small = "{ me { id } }"
    assert await api.data(large) == {"__typename": "Query"}
    assert await api.data(small) == {"me": None}
    assert _documents_of(large) == []
    assert len(_documents_of(small)) == 1  # small ones are still cached


async def test_the_cached_documents_stay_within_their_total(api: Api) -> None:
    for n in range(MAX_CACHED_CHARS // 9_000 + 5):
        query = "{ __typename }\n#" + f"{n:08}" * 1_100  # ~8,800 characters, each unique
        assert await api.data(query) == {"__typename": "Query"}
    assert CACHE.cached_chars <= MAX_CACHED_CHARS
