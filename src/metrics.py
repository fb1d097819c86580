"""Prometheus metrics (prometheus-client), served at /metrics when METRICS_ENABLED is on.

Labels are operation names, error codes, routes, methods and statuses: never ids,
variables, documents or anything about a person. Operation names come from clients, so
at most MAX_OPERATION_NAMES distinct ones get a label of their own (the rest count as
`__other__`); with PERSISTED_QUERIES=only they are the manifest's.

Per process: under several worker processes each scrape sees one of them (prometheus-
client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR, is not wired: it cannot serve the
gauges computed at scrape, nor the process collectors). `carepath serve` runs one
process; scale with replicas, each scraped on its own.
"""

from __future__ import annotations

import logging
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from tortoise import connections
from tortoise.functions import Count, Min

from carepath.clock import utcnow
from carepath.models import OutboxEmail
from carepath.models.enums import OutboxStatus
from carepath.request_context import note_error

log = logging.getLogger(__name__)

MAX_OPERATION_NAMES = 200
ANONYMOUS = "__anonymous__"
OTHER = "__other__"

REGISTRY = CollectorRegistry()
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)

HTTP_REQUESTS = Counter(
    "carepath_http_requests",
    "HTTP requests by route, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
OPERATION_SECONDS = Histogram(
    "carepath_graphql_operation_duration_seconds",
    "GraphQL queries and mutations (HTTP and WebSocket) by operation name and type.",
    ["operation", "type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
ERRORS = Counter(
    "carepath_graphql_errors",
    "Top-level GraphQL errors and refusals of /graphql, by code.",
    ["code"],
    registry=REGISTRY,
)
WEBSOCKETS_OPEN = Gauge(
    "carepath_websockets_open", "Authenticated WebSockets open on this process.", registry=REGISTRY
)
SOCKET_OPERATIONS = Gauge(
    "carepath_websocket_operations_in_flight",
    "Operations running on WebSockets (open subscriptions, mostly).",
    registry=REGISTRY,
)
OUTBOX_DUE = Gauge(
    "carepath_outbox_due", "Emails due for delivery and not yet sent.", registry=REGISTRY
)
OUTBOX_OLDEST_DUE_AGE = Gauge(
    "carepath_outbox_oldest_due_age_seconds",
    "How long the oldest email due for delivery has waited (0 when none).",
    registry=REGISTRY,
)
OUTBOX_DEAD = Gauge(
    "carepath_outbox_dead", "Emails given up on (carepath mail requeue).", registry=REGISTRY
)
DB_POOL_SIZE = Gauge(
    "carepath_db_pool_connections", "Database pool connections (PostgreSQL).", registry=REGISTRY
)
DB_POOL_IDLE = Gauge(
    "carepath_db_pool_idle_connections", "Idle database pool connections.", registry=REGISTRY
)

_operation_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """The operation's name as a label, within MAX_OPERATION_NAMES distinct ones."""
    if not name:
        return ANONYMOUS
    if name in _operation_names:
        return name
    if len(_operation_names) >= MAX_OPERATION_NAMES:
        return OTHER
    _operation_names.add(name)
    return name


def error(code: str) -> None:
    """An error code of the current request: counted, and noted for its log line."""
    ERRORS.labels(code=code).inc()
    note_error(code)


async def metrics(request: Request) -> Response:
    """The scrape: gauges that need the database are read now, with a short query each."""
    try:
        await _read_outbox()
    except Exception:  # the scrape still answers; the outbox gauges keep their last values
        log.warning("metrics: could not read the outbox", exc_info=True)
    _read_pool()
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


async def _read_outbox() -> None:
    now = utcnow()
    [due] = (
        await OutboxEmail.filter(status=OutboxStatus.PENDING, send_after__lte=now)
        .annotate(count=Count("id"), oldest=Min("send_after"))
        .values("count", "oldest")
    )
    oldest: datetime | None = due["oldest"]
    OUTBOX_DUE.set(due["count"])
    OUTBOX_OLDEST_DUE_AGE.set((now - oldest).total_seconds() if oldest else 0)
    OUTBOX_DEAD.set(await OutboxEmail.filter(status=OutboxStatus.DEAD).count())


def _read_pool() -> None:
    """asyncpg's pool, when the database is PostgreSQL (SQLite has one connection)."""
    pool = getattr(connections.get("default"), "_pool", None)
    if pool is not None and hasattr(pool, "get_size"):
        DB_POOL_SIZE.set(pool.get_size())
        DB_POOL_IDLE.set(pool.get_idle_size())
