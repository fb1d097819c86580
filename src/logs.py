"""Logging: JSON lines in production (structlog), readable lines in development.

Every record, Carepath's, uvicorn's and the libraries', goes through the root handler:
one JSON object per line with `timestamp`, `level`, `logger`, `event` and, inside a
request, its `request_id`. The request line (`carepath.requests`, one per HTTP request)
holds method, redacted path, operation name, status, duration and error codes: never
variables, documents, tokens or anything about a person.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from structlog.types import Processor

from carepath.settings import Settings

REQUEST_LOGGER = "carepath.requests"

# Steps for stdlib records ("foreign") and structlog events alike, before rendering.
_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def redacted_path(path: str, has_query: bool = False) -> str:
    """A path fit for logs: a calendar feed's secret is a credential, and a query string
    may hold a GraphQL document and its variables (refused, but logged)."""
    if path.startswith("/calendar/"):
        path = "/calendar/[redacted].ics"
    return path + "?[redacted]" if has_query else path


def route_structlog_to_stdlib() -> None:
    """structlog events become stdlib records (whose handlers render them), so that one
    handler formats everything and tests' log capture sees the event dicts."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure_logging(settings: Settings) -> None:
    """The root handler for `carepath` commands: JSON or readable by LOG_FORMAT."""
    route_structlog_to_stdlib()
    renderer: Processor
    if settings.log_format == "json":
        renderer = structlog.processors.JSONRenderer()
        final: list[Processor] = [structlog.processors.format_exc_info, renderer]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        final = [renderer]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level)
    # aiosmtpd logs every envelope address at INFO: addresses are PHI here.
    logging.getLogger("mail.log").setLevel(logging.WARNING)


def request_logger() -> Any:
    return structlog.get_logger(REQUEST_LOGGER)
