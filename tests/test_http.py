"""HTTP and GraphQL protections: GET only for GraphiQL, limits, masked internal errors."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from graphql import ValidationContext, ValidationRule

from carepath.models import User
from tests.factories import PASSWORD, sign_up
from tests.support import Api, error_codes

SIGN_UP = (
    """
mutation { signUp(input: {email: "x@example.com", password: "%s", fullName: "X"}) { token } }
"""
    % PASSWORD
)


async def test_get_serves_graphiql_to_browsers(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_queries_over_get_are_refused(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={"query": "{ me { id } }"})
    assert response.status_code == 405
    json_get = await http.get(
        "/graphql", params={"query": "{ me { id } }"}, headers={"Accept": "application/json"}
    )
    assert json_get.status_code == 405
    browser_get = await http.get(
        "/graphql", params={"query": SIGN_UP}, headers={"Accept": "text/html,*/*"}
    )
    assert browser_get.status_code == 405  # a browser gets the page, never a query run
    assert await User.all().count() == 0


async def test_malformed_json_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", content=b'{"query": "{ me { id }', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


async def test_graphql_response_json_is_served(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"me": None}}


async def test_mutation_is_not_run_without_post(http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/graphql", params={"query": SIGN_UP}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 405
    assert await User.all().count() == 0


async def test_invalid_token_is_one_top_level_error_whatever_is_asked(api: Api) -> None:
    for query in ("{ me { id } }", SIGN_UP, "{ __typename }"):
        result = await api(query, token="not-a-real-token")
        assert result["data"] is None
        assert error_codes(result) == ["UNAUTHENTICATED"]
    assert await User.all().count() == 0


async def test_non_bearer_authorization_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": "Basic abc"}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_deep_documents_are_refused(api: Api) -> None:
    account = await sign_up(api, "deep@example.com")
    nested = (
        "me { providerProfile { group { owner { providerProfile { group { owner {"
        " providerProfile { group { owner { providerProfile { group { id } } } } } } } } } } } }"
    )
    result = await api("{ %s }" % nested, token=account.token)
    assert result.get("data") is None
    assert "deeper than 12 levels" in result["errors"][0]["message"]


async def test_twelve_levels_are_allowed(api: Api) -> None:
    # level 1 is `me`; 12 levels deep in all.
    query = (
        "{ me { providerProfile { group { owner { providerProfile { group { owner {"
        " providerProfile { group { owner { providerProfile { id } } } } } } } } } } } }"
    )
    result = await api(query)
    assert "errors" not in result, result
    assert result["data"] == {"me": None}


async def test_too_many_aliases_are_refused(api: Api) -> None:
    aliases = " ".join(f"a{n}: me {{ id }}" for n in range(31))
    result = await api("{ %s }" % aliases)
    assert result.get("data") is None
    assert result["errors"]


async def test_too_many_tokens_are_refused(api: Api) -> None:
    fields = " ".join("__typename" for _ in range(4999))  # 5,001 tokens with the braces
    result = await api("{ %s }" % fields)
    assert result.get("data") is None
    assert "token" in result["errors"][0]["message"].lower()


async def test_documents_within_the_token_limit_run_even_with_repeated_fields(api: Api) -> None:
    # graphql-core's overlap check alone gives up ("Validation aborted.") on such repeats.
    fields = " ".join("__typename" for _ in range(4998))  # 5,000 tokens with the braces
    assert await api("{ %s }" % fields) == {"data": {"__typename": "Query"}}
    repeated = " ".join("providers { edges { node { id displayName } } }" for _ in range(450))
    result = await api("{ %s }" % repeated)
    assert result == {"data": {"providers": {"edges": []}}}


async def test_unknown_fields_are_refused_before_running(api: Api) -> None:
    result = await api(
        'mutation { signUp(input: {email: "u@example.com", password: "%s", fullName: "U",'
        " admin: true}) { token } }" % PASSWORD
    )
    assert result.get("data") is None and result["errors"]
    assert await User.all().count() == 0


async def test_wrong_types_are_refused_before_running(api: Api) -> None:
    result = await api(
        "mutation($i: SignUpInput!) { signUp(input: $i) { token } }",
        {"i": {"email": 42, "password": PASSWORD, "fullName": ["X"]}},
    )
    assert result.get("data") is None and result["errors"]
    assert await User.all().count() == 0


async def test_health_answers(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.json() == {"status": "ok"}


GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_graphql_response_json_gets_its_media_type(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)


async def test_invalid_document_is_400_for_graphql_response_json(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": "{ nope }"}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert body["errors"]
    plain = await http.post("/graphql", json={"query": "{ nope }"})
    assert plain.status_code == 200


async def test_field_errors_stay_200_for_graphql_response_json(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        json={"query": "{ providers(first: 101) { edges { cursor } } }"},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_invalid_token_is_401_for_graphql_response_json(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        json={"query": "{ me { id } }"},
        headers={"Accept": GRAPHQL_RESPONSE, "Authorization": "Bearer nope"},
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


class _BrokenRule(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        raise RuntimeError("validator bug near hunter2")


async def _broken_node(info: object, id: str) -> None:
    raise RuntimeError("database said hunter2")


async def test_internal_errors_are_masked_and_logged_with_a_request_id(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Faults injected during execution and during validation: neither reaches the client."""
    caplog.set_level(logging.ERROR, logger="carepath.errors")
    monkeypatch.setattr("carepath.resolvers.query.resolve_node", _broken_node)
    during_execution = await api('{ node(id: "x") { id } }')
    monkeypatch.setattr("carepath.schema.document_rules._ALIAS_RULE", _BrokenRule)
    during_validation = await api("{ me { id } }")
    for result in (during_execution, during_validation):
        assert "hunter2" not in json.dumps(result)
        [error] = result["errors"]
        assert error["message"] == "Internal error."
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        assert error["extensions"]["requestId"] in caplog.text
    assert caplog.text.count("internal error ") == 2  # logged once each, with the cause
    assert "database said" in caplog.text and "validator bug" in caplog.text


async def test_the_client_apps_origin_may_call_the_api_from_a_browser(
    http: httpx.AsyncClient,
) -> None:
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"}  # fmt: skip
    allowed = await http.options(
        "/graphql", headers={"Origin": "https://app.carepath.test", **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.carepath.test"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    other = await http.options("/graphql", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers
    answered = await http.post(
        "/graphql", json={"query": "{ me { id } }"}, headers={"Origin": "https://app.carepath.test"}
    )
    assert answered.headers["access-control-allow-origin"] == "https://app.carepath.test"
    assert "access-control-allow-credentials" not in answered.headers  # bearer tokens only
