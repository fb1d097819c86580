"""What one HTTP request is, for logs, metrics and support: its id, operation and error codes.

The request id comes from a valid incoming `X-Request-Id` (a proxy's or the client's)
or is made here; it is returned in the response's `X-Request-Id`, put in the request
scope (`scope["state"]["request_id"]`) and in a context variable, so that the masked
internal errors' `requestId` and the PHI access log's rows name the same request as the
log line does. This module imports nothing of Carepath's, so any layer may use it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

REQUEST_ID_HEADER = "X-Request-Id"
MAX_REQUEST_ID_CHARS = 64
_VALID_REQUEST_ID = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_REQUEST_ID_CHARS}}}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    """The incoming id when it is 1..64 characters of `[A-Za-z0-9._-]` (nothing that could
    forge a log line or carry PHI), else a new one."""
    if header is not None and _VALID_REQUEST_ID.fullmatch(header):
        return header
    return new_request_id()


@dataclass
class RequestRecord:
    """Filled while the request runs; read for its log line and its metrics."""

    request_id: str
    operation: str | None = None
    operation_type: str | None = None
    error_codes: list[str] = field(default_factory=list)

    def note_error(self, code: str) -> None:
        if code not in self.error_codes:
            self.error_codes.append(code)


_current: ContextVar[RequestRecord | None] = ContextVar("carepath_request", default=None)


@contextmanager
def observing(record: RequestRecord) -> Iterator[RequestRecord]:
    """Makes `record` the current request's for the code that runs inside."""
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)


def current_request() -> RequestRecord | None:
    return _current.get()


def current_request_id() -> str | None:
    record = _current.get()
    return record.request_id if record is not None else None


def note_error(code: str) -> None:
    """A refusal or error code for the current request's log line (none: no-op)."""
    record = _current.get()
    if record is not None:
        record.note_error(code)


def note_operation(name: str | None, operation_type: str | None) -> None:
    record = _current.get()
    if record is not None:
        record.operation = name
        record.operation_type = operation_type
