"""Observability: a request id on every request, one log line per request (JSON in
production, never variables or PHI), Prometheus metrics, readiness, and tracing."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from tortoise.transactions import in_transaction

from carepath.clock import utcnow
from carepath.logs import REQUEST_LOGGER, configure_logging
from carepath.models import Client, OutboxEmail, PhiAccessEvent
from carepath.models.enums import OutboxStatus
from carepath.schema.ids import to_global_id
from carepath.settings import Settings, load_settings
from tests.factories import sign_up
from tests.live import Subscriber, in_loop_server
from tests.security.conftest import app_with, client_of
from tests.support import Api

ME = "query Me { me { id } }"
PEEK = "query Peek($id: ID!) { node(id: $id) { id } }"


# The request id.


async def test_each_request_gets_an_id_in_the_response(http: httpx.AsyncClient) -> None:
    first = await http.post("/graphql", json={"query": ME})
    second = await http.get("/healthz")
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert ids[0] != ids[1]


async def test_a_valid_incoming_request_id_is_kept(http: httpx.AsyncClient) -> None:
    incoming = "edge-7f3a.b_2-" + "x" * 50  # 64 characters
    response = await http.post("/graphql", json={"query": ME}, headers={"X-Request-Id": incoming})
    assert response.headers["x-request-id"] == incoming


@pytest.mark.parametrize("incoming", ["x" * 65, "has space", "semi;colon", "ünïcode", ""])
async def test_an_invalid_incoming_request_id_is_replaced(
    http: httpx.AsyncClient, incoming: str
) -> None:
    response = await http.post(
        "/graphql", json={"query": ME}, headers={"X-Request-Id": incoming.encode()}
    )
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_a_masked_internal_error_names_the_requests_id(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(info: object, id: str) -> None:
        raise RuntimeError("injected fault")

    monkeypatch.setattr("carepath.resolvers.query.resolve_node", broken)
    response = await api.http.post(
        "/graphql", json={"query": '{ node(id: "x") { id } }'}, headers={"X-Request-Id": "req-42"}
    )
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"}


async def test_the_phi_access_log_names_the_requests_id(api: Api) -> None:
    account = await sign_up(api, "cleo@example.com")
    client = await Client.get(user_id=account.pk)
    response = await api.http.post(
        "/graphql",
        json={"query": PEEK, "variables": {"id": to_global_id("Client", client.id)}},
        headers={"X-Request-Id": "audit-trail.1"},
    )
    assert response.json() == {"data": {"node": None}}
    rows = await PhiAccessEvent.filter(client_id=client.id)
    assert [(r.outcome, r.request_id) for r in rows] == [("DENIED", "audit-trail.1")]


# The request log line.


def lines_of(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [dict(r.msg) for r in caplog.records if r.name == REQUEST_LOGGER]  # type: ignore[call-overload]


async def test_one_line_per_request_with_its_operation_status_and_error_codes(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    secret = "cleo-secret@example.com"
    mutation = "mutation LogIn($i: LogInInput!) { logIn(input: $i) { token } }"
    await api.http.post(
        "/graphql",
        json={"query": mutation, "variables": {"i": {"email": secret, "password": "x" * 12}}},
        headers={"X-Request-Id": "line-1"},
    )
    await api.http.post("/graphql", json={"query": "query Broken { nope }"})
    await api.http.get("/calendar/supersecretfeed.ics?token=abc")
    logged, broken, calendar = lines_of(caplog)
    assert logged["event"] == "request"
    assert logged["request_id"] == "line-1"
    assert (logged["method"], logged["path"], logged["operation"], logged["status"]) == (
        "POST", "/graphql", "LogIn", 200,
    )  # fmt: skip
    assert isinstance(logged["duration_ms"], float)
    assert (broken["operation"], broken["errors"]) == ("Broken", ["GRAPHQL_VALIDATION_FAILED"])
    assert calendar["path"] == "/calendar/[redacted].ics?[redacted]"
    text = json.dumps([logged, broken, calendar])
    assert secret not in text and "logIn(" not in text and "supersecretfeed" not in text


async def test_refusals_before_graphql_are_in_the_line_too(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    await http.post("/graphql", content=b"{", headers={"Content-Type": "application/json"})
    [line] = lines_of(caplog)
    assert (line["status"], line["errors"]) == (400, ["BAD_REQUEST"])


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The root logger as `carepath serve` sets it in production, writing into a buffer;
    put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(load_settings({"LOG_FORMAT": "json"}))
    buffer = io.StringIO()
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    root.handlers, root.level = handlers, level


async def test_production_logs_are_one_json_object_per_line(
    http: httpx.AsyncClient, json_logs: io.StringIO
) -> None:
    await http.post("/graphql", json={"query": ME}, headers={"X-Request-Id": "json-1"})
    logging.getLogger("carepath.somewhere").warning("plain %s record", "stdlib")
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    request = next(line for line in lines if line.get("event") == "request")
    assert request["request_id"] == "json-1" and request["operation"] == "Me"
    assert {"timestamp", "level", "logger"} <= request.keys()
    plain = next(line for line in lines if line.get("logger") == "carepath.somewhere")
    assert plain["event"] == "plain stdlib record" and plain["level"] == "warning"


def test_production_defaults_to_json_logs_and_development_to_text() -> None:
    assert load_settings({}).log_format == "text"
    production = {
        "CAREPATH_ENV": "production",
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": "postgres://db/carepath",
        "SMTP_URL": "smtp://mail:25",
    }
    assert load_settings(production).log_format == "json"
    assert load_settings({**production, "LOG_FORMAT": "text"}).log_format == "text"


# Metrics.


@pytest.fixture
async def scraped(app: Starlette, settings: Settings) -> AsyncIterator[Api]:
    async with client_of(app_with(settings, metrics_enabled=True)) as api:
        yield api


def sample(text: str, name: str, **labels: str) -> float:
    """A sample's value in the exposition text (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        metric, _, value = line.rpartition(" ")
        if metric == (f"{name}{{{wanted}}}" if labels else name):
            return float(value)
    return 0.0


async def scrape(api: Api) -> str:
    response = await api.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_operations_are_counted_and_timed_by_name_and_errors_by_code(
    scraped: Api, http: httpx.AsyncClient
) -> None:
    assert (await http.get("/metrics")).status_code == 404  # off unless METRICS_ENABLED
    before = await scrape(scraped)
    count = "carepath_graphql_operation_duration_seconds_count"
    await scraped.http.post("/graphql", json={"query": ME})
    await scraped.http.post("/graphql", json={"query": ME})
    await scraped.http.get("/graphql", params={"query": ME})
    after = await scrape(scraped)
    assert (
        sample(after, count, operation="Me", type="query")
        - sample(before, count, operation="Me", type="query")
        == 2
    )
    errors = "carepath_graphql_errors_total"
    assert (
        sample(after, errors, code="METHOD_NOT_ALLOWED")
        - sample(before, errors, code="METHOD_NOT_ALLOWED")
        == 1
    )
    requests = "carepath_http_requests_total"
    labels = {"route": "/graphql", "method": "POST", "status": "200"}
    assert sample(after, requests, **labels) - sample(before, requests, **labels) == 2


async def test_the_outbox_is_measured_at_scrape_without_any_address(scraped: Api) -> None:
    now = utcnow()
    await sign_up(scraped, "patient-zero@example.com")
    await OutboxEmail.create(
        kind="test", to_address="waiting@example.com", subject="s", body_text="b",
        send_after=now - timedelta(minutes=10), next_attempt_at=now + timedelta(hours=1),
    )  # fmt: skip  # due, waiting for its retry
    await OutboxEmail.create(
        kind="test", to_address="dead@example.com", subject="s", body_text="b",
        send_after=now, next_attempt_at=now, status=OutboxStatus.DEAD,
    )  # fmt: skip
    text = await scrape(scraped)
    assert sample(text, "carepath_outbox_due") >= 1
    assert sample(text, "carepath_outbox_oldest_due_age_seconds") >= 600
    assert sample(text, "carepath_outbox_dead") == 1
    assert "@" not in text and "patient-zero" not in text


async def test_open_sockets_and_their_subscriptions_are_gauged(
    scraped: Api, app: Starlette
) -> None:
    account = await sign_up(scraped, "gauge@example.com")
    idle = await scrape(scraped)
    async with in_loop_server(app) as live, Subscriber.connect(live, account.token) as socket:
        assert await socket.acknowledged()
        await socket.subscribe("subscription { messageReceived { id } }")
        await asyncio.sleep(0.2)
        busy = await scrape(scraped)
    for gauge in ("carepath_websockets_open", "carepath_websocket_operations_in_flight"):
        assert sample(busy, gauge) - sample(idle, gauge) == 1


# Readiness.


async def test_readiness_checks_the_database(http: httpx.AsyncClient) -> None:
    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_readiness_is_503_when_the_database_does_not_answer(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    """SQLite has one connection: a transaction held open elsewhere keeps `SELECT 1`
    waiting past the readiness deadline."""
    if not settings.is_sqlite:
        pytest.skip("holds SQLite's only connection; PostgreSQL's pool would answer")
    held, release = asyncio.Event(), asyncio.Event()

    async def hold_the_connection() -> None:
        async with in_transaction():
            held.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_connection())  # a context of its own
    await held.wait()
    try:
        response = await http.get("/readyz")
        health = await http.get("/healthz")
    finally:
        release.set()
        await holder
    assert response.status_code == 503
    assert response.json()["database"] == "failing"
    assert health.status_code == 200  # liveness does not touch the database


# Tracing.


async def test_tracing_is_wired_when_an_otlp_endpoint_is_set(
    app: Starlette, settings: Settings
) -> None:
    sdk = pytest.importorskip("opentelemetry.sdk.trace")
    export = pytest.importorskip("opentelemetry.sdk.trace.export")
    in_memory = pytest.importorskip("opentelemetry.sdk.trace.export.in_memory_span_exporter")
    from opentelemetry import trace

    exporter = in_memory.InMemorySpanExporter()
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(sdk.TracerProvider())
    provider = trace.get_tracer_provider()
    provider.add_span_processor(export.SimpleSpanProcessor(exporter))  # type: ignore[attr-defined]
    traced = app_with(settings, otel_exporter_otlp_endpoint="http://127.0.0.1:4318")
    async with client_of(traced) as api:
        await api.http.post("/graphql", json={"query": PEEK, "variables": {"id": "secret-id"}})
    async with client_of(app_with(settings)) as untraced:
        await untraced.http.post("/graphql", json={"query": "query Untraced { __typename }"})
    spans = exporter.get_finished_spans()
    names = [span.name for span in spans]
    assert "GraphQL Query: Peek" in names
    assert not any("Untraced" in name for name in names)
    recorded = json.dumps([dict(span.attributes or {}) for span in spans])
    assert "secret-id" not in recorded and "node(" not in recorded
