"""What a GraphQL POST body must be before strawberry sees it.

strawberry reads any body whole, with no size or time limit, and answers what it cannot
use with plain text (or a 500 when the JSON is `null`, a number or nested too deep).
Here the body is read under MAX_BODY_BYTES and REQUEST_BODY_TIMEOUT_SECONDS and checked
to be one GraphQL request object; every refusal is a 4xx with a GraphQL-shaped JSON body.
The checked body is then replayed to strawberry unchanged.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope

from carepath.settings import Settings

GRAPHQL_RESPONSE = "application/graphql-response+json"


class Refusal(Exception):
    """A request that gets `status` and one GraphQL-shaped error instead of running."""

    def __init__(self, status: int, code: str, message: str, *, close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.close = close

    def response(self, media_type: str = "application/json") -> JSONResponse:
        body = {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}
        headers = {"Connection": "close"} if self.close else None
        return JSONResponse(body, status_code=self.status, headers=headers, media_type=media_type)


async def screen_body(
    scope: Scope, receive: Receive, settings: Settings
) -> tuple[Receive, Response | None]:
    """The receive to hand strawberry, or the refusal to answer instead."""
    headers = Headers(scope=scope)
    accepts = headers.get("accept", "")
    media_type = GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in accepts else "application/json"
    try:
        body = await read_body(scope, receive, settings)
        check_graphql_request(body, headers.get("content-type", ""))
    except Refusal as refusal:
        return receive, refusal.response(media_type)
    return replay(body, receive), None


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
    """The body as one GraphQL request: a JSON object with a `query` string and, if
    present, `variables` and `extensions` objects and an `operationName` string."""
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise Refusal(415, "UNSUPPORTED_MEDIA_TYPE", "Send the request as application/json.")
    try:
        request = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise _bad_request("The body is not valid JSON (or is nested too deeply).") from None
    if not isinstance(request, dict):
        raise _bad_request("The body must be one JSON object with a `query` string.")
    if not isinstance(request.get("query"), str) or not request["query"].strip():
        raise _bad_request("The body must have a `query` string.")
    for name, kind, what in (
        ("variables", dict, "an object"),
        ("extensions", dict, "an object"),
        ("operationName", str, "a string"),
    ):
        if request.get(name) is not None and not isinstance(request[name], kind):
            raise _bad_request(f"`{name}` must be {what} or null.")
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
