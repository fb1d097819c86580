"""What a GraphQL POST body must be before strawberry sees it.

strawberry reads any body whole, with no size or time limit, and answers what it cannot
use with plain text (or a 500 when the JSON is `null`, a number or nested too deep).
Here the body is read under MAX_BODY_BYTES and REQUEST_BODY_TIMEOUT_SECONDS and checked
to be one GraphQL request object; every refusal is a 4xx with a GraphQL-shaped JSON body
(`graphql_error_response`, which every other refusal of /graphql uses too). The checked
body is then replayed to strawberry (with its document filled in by persisted queries).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope

from carepath import metrics
from carepath.settings import Settings

GRAPHQL_RESPONSE = "application/graphql-response+json"


def negotiated_media_type(accept: str) -> str:
    """`application/graphql-response+json` when the client accepts it, else JSON."""
    return GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in accept else "application/json"


def graphql_error_response(
    status: int,
    code: str,
    message: str,
    *,
    accept: str = "",
    media_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The one shape of every refusal of /graphql: `{"errors": [{message, extensions:
    {code}}]}` in the negotiated media type (or `media_type` where a protocol fixes it);
    the code is noted for the request's log line and metrics."""
    metrics.error(code)
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(
        body,
        status_code=status,
        headers=headers,
        media_type=media_type or negotiated_media_type(accept),
    )


def request_error_response(
    status: int,
    code: str,
    message: str,
    *,
    accept: str,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A request refused before it runs, as GraphQL-over-HTTP has it: `status` (with
    `headers`) for `application/graphql-response+json`; 200 with `data: null` for
    `application/json`, whose clients read only the body."""
    if GRAPHQL_RESPONSE in accept:
        return graphql_error_response(status, code, message, accept=accept, headers=headers)
    metrics.error(code)
    error = {"message": message, "extensions": {"code": code}}
    return JSONResponse({"data": None, "errors": [error]})


class Refusal(Exception):
    """A request that gets `status` and one GraphQL-shaped error instead of running."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        close: bool = False,
        media_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.close = close
        self.media_type = media_type  # set where a protocol fixes it (APQ: JSON)
        self.headers = dict(headers or {})

    def response(self, accept: str = "") -> JSONResponse:
        headers = {**self.headers, **({"Connection": "close"} if self.close else {})}
        return graphql_error_response(
            self.status,
            self.code,
            self.message,
            accept=accept,
            media_type=self.media_type,
            headers=headers or None,
        )


async def screen_body(
    scope: Scope, receive: Receive, settings: Settings
) -> tuple[bytes, dict[str, Any]]:
    """The body, and it as one GraphQL request object; or a Refusal."""
    headers = Headers(scope=scope)
    body = await read_body(scope, receive, settings)
    return body, check_graphql_request(body, headers.get("content-type", ""))


async def read_body(scope: Scope, receive: Receive, settings: Settings) -> bytes:
    """The whole body, refused as soon as it is known to exceed MAX_BODY_BYTES (by its
    Content-Length, or while a chunked body streams) or takes longer than
    REQUEST_BODY_TIMEOUT_SECONDS to arrive. The rest of a refused body is never read."""
    limit = settings.max_body_bytes
    declared = _content_length(scope)
    if declared is not None and declared > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(settings.request_body_timeout_seconds):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise _bad_request("The client left before its body arrived.")
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
    except TimeoutError:
        raise Refusal(
            408,
            "REQUEST_TIMEOUT",
            f"The request body did not arrive within {settings.request_body_timeout_seconds}"
            " seconds.",
            close=True,
        ) from None


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands over `body` once, then listens for the client leaving."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def check_graphql_request(body: bytes, content_type: str) -> dict[str, Any]:
    """The body as one GraphQL request: a JSON object with a `query` string (or, instead,
    a persisted query's hash in `extensions`) and, if present, `variables` and
    `extensions` objects and an `operationName` string."""
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise Refusal(415, "UNSUPPORTED_MEDIA_TYPE", "Send the request as application/json.")
    try:
        request = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise _bad_request("The body is not valid JSON (or is nested too deeply).") from None
    if not isinstance(request, dict):
        raise _bad_request("The body must be one JSON object with a `query` string.")
    for name, kind, what in (
        ("variables", dict, "an object"),
        ("extensions", dict, "an object"),
        ("operationName", str, "a string"),
    ):
        if request.get(name) is not None and not isinstance(request[name], kind):
            raise _bad_request(f"`{name}` must be {what} or null.")
    query = request.get("query")
    if query is None and "persistedQuery" in (request.get("extensions") or {}):
        return request  # the document comes from persisted queries
    if not isinstance(query, str) or not query.strip():
        raise _bad_request("The body must have a `query` string.")
    return request


def _content_length(scope: Scope) -> int | None:
    raw = Headers(scope=scope).get("content-length")
    if raw is None:
        return None
    if not raw.isdigit():
        raise _bad_request("Content-Length must be a whole number.")
    return int(raw)


def _too_large(limit: int) -> Refusal:
    return Refusal(
        413,
        "PAYLOAD_TOO_LARGE",
        f"The request body is larger than {limit} bytes.",
        close=True,
    )


def _bad_request(message: str) -> Refusal:
    return Refusal(400, "BAD_REQUEST", message)
