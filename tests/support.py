"""Test helpers: a real SMTP server that can go down, and a GraphQL client."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from carepath.notifications.mailsink import free_port
from carepath.settings import Settings


class RecordingHandler:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.reply: str | None = None  # e.g. "451 try later" to refuse mail

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply is not None:
            return self.reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


@dataclass
class SmtpServer:
    """A real aiosmtpd server on a fixed loopback port: stop() simulates an outage."""

    port: int = field(default_factory=free_port)
    handler: RecordingHandler = field(default_factory=RecordingHandler)
    controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    async def wait_for(
        self, address: str, count: int = 1, timeout: float = 5.0, kind: str | None = None
    ) -> list[EmailMessage]:
        """The messages to `address` (of `kind`), once at least `count` have arrived."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = [m for m in self.to(address) if kind is None or m["X-Carepath-Kind"] == kind]
            if len(found) >= count:
                return found
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} mail(s) to {address}, got {len(found)}")
            await asyncio.sleep(0.02)


async def deliver_due_mail(app: Any) -> None:
    """Drives the app's mail worker through everything due now, rather than sleeping
    through some of its polls: after this, a mail that was going out has gone out."""
    worker = app.state.runtime.worker
    assert worker is not None
    while await worker.deliver_due():
        pass


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


def token_in(message: EmailMessage) -> str:
    match = re.search(r"token=([A-Za-z0-9_\-%]+)", body_of(message))
    assert match, "no token link in the email"
    return match.group(1)


class Api:
    """Posts GraphQL documents to the app the way a client would."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self.http = http
        self.settings = settings  # for helpers that call a service directly (staff creation)

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return await self.http.post("/graphql", json=body, headers=headers)

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.post(query, variables, token)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The data of a request that must not fail at the top level."""
        result = await self(query, variables, token)
        assert "errors" not in result, result["errors"]
        data: dict[str, Any] = result["data"]
        return data


def error_codes(result: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in result.get("errors", [])]
