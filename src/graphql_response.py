"""The answer to a client that accepts `application/graphql-response+json`."""

from __future__ import annotations

import orjson
from starlette.types import Message, Send

from carepath.http_guards import GRAPHQL_RESPONSE

__all__ = ["GRAPHQL_RESPONSE", "GraphQLResponseSender"]


class GraphQLResponseSender:
    """GraphQL-over-HTTP for `application/graphql-response+json`: that media type, and a
    request error (a document that does not parse or validate, so nothing ran) is a 400
    without `data`."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.start: Message | None = None
        self.body = b""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body" or self.start is None:
            await self.send(message)
            return
        self.body += message.get("body", b"")
        if message.get("more_body"):
            return
        await self._flush()

    async def _flush(self) -> None:
        assert self.start is not None
        status, body = self.start["status"], self.body
        headers = [(k, v) for k, v in self.start["headers"] if k.lower() != b"content-length"]
        if status == 200:
            status, body = _as_graphql_response(body)
            headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
            headers.append((b"content-type", GRAPHQL_RESPONSE.encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})


def _as_graphql_response(body: bytes) -> tuple[int, bytes]:
    try:
        result = orjson.loads(body)
    except ValueError:
        return 200, body
    errors = result.get("errors") or []
    if result.get("data") is None and errors and all("path" not in e for e in errors):
        result.pop("data", None)
        return 400, orjson.dumps(result)
    return 200, body
