"""Webhook test helpers: a real HTTP receiver on loopback, the documents, given-steps.

The receiver is the standard library's `http.server` in a thread: it answers with the
statuses a test queues (200 once the queue is empty), can be slow, can go down and come
back on the same port, and verifies what it got with the `standardwebhooks` package.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook

from carepath.notifications.mailsink import free_port
from carepath.services.webhook_delivery import WebhookWorker
from carepath.settings import Settings
from tests.practice_steps import ERRORS, a_client, mutate, succeed
from tests.scheduling_steps import Practice, a_practice, book, local
from tests.support import Api

ALL_EVENTS = [
    "APPOINTMENT_BOOKED",
    "APPOINTMENT_RESCHEDULED",
    "APPOINTMENT_CANCELLED",
    "SESSION_CONFIRMED",
    "MESSAGE_SENT",
    "CLIENT_TRANSFERRED",
]
GROUP_EVENTS = [e for e in ALL_EVENTS if e != "MESSAGE_SENT"]
ENDPOINT_FIELDS = "id url events enabled createdAt provider { id } group { id }"
CREATE_ENDPOINT = f"""
mutation Create($input: CreateWebhookEndpointInput!) {{
  createWebhookEndpoint(input: $input) {{ endpoint {{ {ENDPOINT_FIELDS} }} secret {ERRORS} }}
}}
"""
UPDATE_ENDPOINT = f"""
mutation Update($input: UpdateWebhookEndpointInput!) {{
  updateWebhookEndpoint(input: $input) {{ endpoint {{ {ENDPOINT_FIELDS} }} {ERRORS} }}
}}
"""
DELETE_ENDPOINT = f"""
mutation Delete($input: WebhookEndpointIdInput!) {{
  deleteWebhookEndpoint(input: $input) {{ ok {ERRORS} }}
}}
"""
ROTATE_SECRET = f"""
mutation Rotate($input: WebhookEndpointIdInput!) {{
  rotateWebhookSecret(input: $input) {{ endpoint {{ id }} secret {ERRORS} }}
}}
"""
DELIVERY_FIELDS = (
    "id eventId eventType status attempts lastResponseStatus lastAttemptAt nextAttemptAt payload"
)
REDELIVER = f"""
mutation Redeliver($input: RedeliverWebhookInput!) {{
  redeliverWebhook(input: $input) {{ delivery {{ {DELIVERY_FIELDS} }} {ERRORS} }}
}}
"""
DELIVERIES = f"""
query Deliveries($id: ID!, $status: WebhookDeliveryStatus) {{
  node(id: $id) {{ ... on WebhookEndpoint {{
    deliveries(status: $status) {{ edges {{ node {{ {DELIVERY_FIELDS} }} }} }} }} }}
}}
"""


@dataclass
class Received:
    """One POST as the receiver got it."""

    headers: dict[str, str]
    body: str

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def type(self) -> str:
        return str(self.event["type"])

    def verify(self, secret: str) -> dict[str, Any]:
        """The body, once standardwebhooks has checked its signature and timestamp."""
        verified: dict[str, Any] = Webhook(secret).verify(self.body, self.headers)
        return verified


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every request it gets."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    answers: deque[int] = field(default_factory=deque)
    delay: float = 0.0
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def answer(self, *statuses: int) -> None:
        """The statuses of the next requests, in order; 200 after them."""
        self.answers.extend(statuses)

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.received.append(Received(headers, body))
                time.sleep(receiver.delay)
                status = receiver.answers.popleft() if receiver.answers else 200
                with contextlib.suppress(OSError):  # the sender gave up (a timeout test)
                    self.send_response(status)
                    if 300 <= status < 400:
                        location = f"http://127.0.0.1:{receiver.port}/elsewhere"
                        self.send_header("Location", location)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Down: connections to the port are refused until start() again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def types(self) -> list[str]:
        return [r.type for r in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


def quick(settings: Settings, **overrides: Any) -> Settings:
    """Test settings for a worker: retries at once (two of them), a short timeout."""
    values: dict[str, Any] = {"webhook_retry_schedule": (0, 0), "webhook_timeout_seconds": 2.0}
    return settings.with_overrides(**(values | overrides))


@pytest.fixture
async def worker(settings: Settings) -> AsyncIterator[WebhookWorker]:
    """A delivery worker the test drives one pass at a time (`deliver_due`)."""
    webhooks = WebhookWorker(quick(settings))
    yield webhooks
    await webhooks.stop()


@dataclass
class Endpoint:
    id: str
    secret: str


async def create_endpoint(
    api: Api, token: str | None, url: str, events: list[str] | None = None, **owner: str | None
) -> dict[str, Any]:
    """The createWebhookEndpoint payload; `owner` is providerId= or groupId=."""
    request = {"url": url, "events": ALL_EVENTS if events is None else events, **owner}
    return await mutate(api, CREATE_ENDPOINT, "createWebhookEndpoint", request, token)


async def an_endpoint(
    api: Api, token: str, url: str, events: list[str] | None = None, **owner: str | None
) -> Endpoint:
    payload = await create_endpoint(api, token, url, events, **owner)
    assert payload["errors"] == [], payload["errors"]
    return Endpoint(payload["endpoint"]["id"], payload["secret"])


async def set_enabled(api: Api, token: str, endpoint: Endpoint, enabled: bool) -> None:
    request = {"endpointId": endpoint.id, "enabled": enabled}
    await succeed(api, UPDATE_ENDPOINT, "updateWebhookEndpoint", request, token)


async def deliveries(
    api: Api, token: str, endpoint: Endpoint, status: str | None = None
) -> list[dict[str, Any]]:
    data = await api.data(DELIVERIES, {"id": endpoint.id, "status": status}, token=token)
    return [edge["node"] for edge in data["node"]["deliveries"]["edges"]]


async def a_hooked_practice(api: Api, url: str) -> tuple[Practice, Endpoint]:
    """A bookable provider with an endpoint for every event."""
    practice = await a_practice(api)
    return practice, await an_endpoint(api, practice.token, url, providerId=practice.id)


async def a_booking(
    api: Api, practice: Practice, email: str = "cleo@example.com", clock: str = "10:00"
) -> str:
    """A new client books a first appointment: one appointment.booked event. Its id."""
    client = await a_client(api, email, "Cleo Client")
    booked = await book(api, client, practice.slug, local(3, clock))
    assert booked["errors"] == [], booked["errors"]
    appointment_id: str = booked["appointment"]["id"]
    return appointment_id
