"""The outermost middleware: a request id on every HTTP request, its log line, its metrics.

Pure ASGI (no body buffering). The id is valid incoming `X-Request-Id` or a new one
(request_context.py); it is returned in `X-Request-Id` and bound to every log record
written while the request runs. Health checks and scrapes log at DEBUG only.
"""

from __future__ import annotations

import logging
import time

import structlog
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carepath import metrics
from carepath.logs import redacted_path, request_logger
from carepath.request_context import RequestRecord, observing, request_id_from

QUIET_ROUTES = ("/healthz", "/readyz", "/metrics")
KNOWN_ROUTES = ("/graphql", *QUIET_ROUTES)
CALENDAR_ROUTE = "/calendar/{secret}.ics"
_ID_HEADER = b"x-request-id"


def route_label(path: str) -> str:
    """The route a path belongs to: a bounded set of labels, and no calendar secret."""
    if path in KNOWN_ROUTES:
        return path
    if path.startswith("/calendar/"):
        return CALENDAR_ROUTE
    return "__other__"


class ObserveRequests:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id")
        record = RequestRecord(request_id_from(incoming))
        scope.setdefault("state", {})["request_id"] = record.request_id
        status = 500  # unless a response starts
        request_id = record.request_id.encode()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != _ID_HEADER]
                message = {**message, "headers": [*headers, (_ID_HEADER, request_id)]}
            await send(message)

        started = time.perf_counter()
        with (
            observing(record),
            structlog.contextvars.bound_contextvars(request_id=record.request_id),
        ):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                self._done(scope, record, status, time.perf_counter() - started)

    @staticmethod
    def _done(scope: Scope, record: RequestRecord, status: int, seconds: float) -> None:
        path: str = scope["path"]
        route = route_label(path)
        metrics.HTTP_REQUESTS.labels(route=route, method=scope["method"], status=status).inc()
        request_logger().log(
            logging.DEBUG if route in QUIET_ROUTES else logging.INFO,
            "request",
            method=scope["method"],
            path=redacted_path(path, bool(scope.get("query_string"))),
            operation=record.operation,
            status=status,
            duration_ms=round(seconds * 1000, 1),
            errors=record.error_codes,
        )
