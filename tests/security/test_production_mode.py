"""Production mode: no schema for strangers, no GraphiQL, security headers, and no start
on development services unless the operator says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette

from carepath.settings import SettingsError, load_settings
from tests.security.conftest import app_with, client_of
from tests.support import Api

INTROSPECTION = "{ __schema { queryType { name } types { name } } }"
TYPE_QUERY = '{ __type(name: "User") { fields { name } } }'
MISSPELLED_FIELD = "{ me { emial } }"
MISSPELLED_INPUT = """
mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token } }
"""
SECRET = "s" * 40


@pytest.fixture
async def production(app: Starlette, settings: Any) -> AsyncIterator[Api]:
    async with client_of(app_with(settings, env="production")) as api:
        yield api


@pytest.fixture
async def development(app: Starlette, settings: Any) -> AsyncIterator[Api]:
    async with client_of(app_with(settings)) as api:
        yield api


def messages(result: dict[str, Any]) -> list[str]:
    return [e["message"] for e in result.get("errors", [])]


async def test_introspection_is_refused_in_production(production: Api, development: Api) -> None:
    assert (await development(INTROSPECTION))["data"]["__schema"]["queryType"]["name"] == "Query"
    for document in (INTROSPECTION, TYPE_QUERY):
        refused = await production(document)
        assert refused.get("data") is None
        assert any("introspection" in m.lower() for m in messages(refused)), refused
    assert (await production.data("{ __typename }")) == {"__typename": "Query"}


async def test_a_misspelled_field_gets_no_suggestion_in_production(
    production: Api, development: Api
) -> None:
    assert any("Did you mean" in m for m in messages(await development(MISSPELLED_FIELD)))
    refused = await production(MISSPELLED_FIELD)
    assert messages(refused) == ["Cannot query field 'emial' on type 'User'."]


async def test_a_misspelled_input_field_gets_no_suggestion_in_production(
    production: Api, development: Api
) -> None:
    variables = {"input": {"emial": "a@example.com", "password": "x" * 20, "fullName": "A"}}
    assert any(
        "Did you mean" in m for m in messages(await development(MISSPELLED_INPUT, variables))
    )
    refused = messages(await production(MISSPELLED_INPUT, variables))
    assert refused and all("emial" in m or "email" in m for m in refused)
    assert not any("Did you mean" in m for m in refused), refused


async def test_graphiql_is_not_served_in_production(production: Api) -> None:
    response = await production.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "graphiql" not in response.text.lower()


async def test_every_response_carries_the_security_headers_in_production(
    production: Api,
) -> None:
    responses = [
        await production.http.get("/healthz"),
        await production.post("{ __typename }"),
        await production.http.get("/graphql", headers={"Accept": "text/html"}),
        await production.http.get("/calendar/unknown.ics"),
        await production.http.get("/no-such-page"),
    ]
    for response in responses:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_development_carries_the_headers_but_no_hsts(development: Api) -> None:
    response = await development.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200  # GraphiQL, outside production
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in response.headers


def test_production_refuses_sqlite_unless_allowed() -> None:
    env = {"CAREPATH_ENV": "production", "SECRET_KEY": SECRET, "SMTP_URL": "smtp://mail:587"}
    with pytest.raises(SettingsError, match="ALLOW_SQLITE_IN_PRODUCTION") as refused:
        load_settings(env)
    assert "DATABASE_URL" in str(refused.value)
    allowed = load_settings({**env, "ALLOW_SQLITE_IN_PRODUCTION": "true"})
    assert allowed.is_sqlite and allowed.is_production
    assert load_settings({}).is_sqlite  # outside production, without a word


def test_production_refuses_the_embedded_mail_sink_unless_allowed() -> None:
    env = {
        "CAREPATH_ENV": "production",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": "postgres://db.internal/carepath",
    }
    with pytest.raises(SettingsError, match="ALLOW_EMBEDDED_MAIL_IN_PRODUCTION") as refused:
        load_settings(env)
    assert "SMTP_URL" in str(refused.value)
    allowed = load_settings({**env, "ALLOW_EMBEDDED_MAIL_IN_PRODUCTION": "1"})
    assert allowed.smtp_url is None
    assert load_settings({}).smtp_url is None  # outside production, without a word


def test_an_unclear_permission_is_refused() -> None:
    env = {"CAREPATH_ENV": "production", "SECRET_KEY": SECRET, "SMTP_URL": "smtp://mail:587"}
    with pytest.raises(SettingsError, match="ALLOW_SQLITE_IN_PRODUCTION"):
        load_settings({**env, "ALLOW_SQLITE_IN_PRODUCTION": "maybe"})
