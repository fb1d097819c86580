"""create_app(settings): the Starlette application, its routes and its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from tortoise.contrib.starlette import RegisterTortoise

from carepath.api import build_schema, schema
from carepath.db import apply_migrations, ensure_sqlite_directory, tortoise_config
from carepath.events.bus import EventBus, InMemoryBus
from carepath.http_guards import screen_body
from carepath.notifications.delivery import MailWorker
from carepath.notifications.mailsink import EmbeddedMailSink, free_port
from carepath.schema.context import Context
from carepath.schema.socket_handler import SessionCheckedHandler
from carepath.schema.socket_session import SocketRegistry
from carepath.security_headers import SecurityHeaders
from carepath.services import calendar_feed
from carepath.services.actor import Actor, anonymous
from carepath.services.errors import InvalidBearerToken
from carepath.services.sessions import authenticate, bearer_token
from carepath.services.throttle import Throttle
from carepath.services.webhook_delivery import WebhookWorker
from carepath.settings import Settings

log = logging.getLogger(__name__)

INVALID_TOKEN_BODY = {
    "data": None,
    "errors": [
        {
            "message": "The bearer token is invalid, expired or revoked: sign in again.",
            "extensions": {"code": "UNAUTHENTICATED"},
        }
    ],
}


class CarepathGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI view with safe defaults: POST only, graphql-transport-ws only;
    in production without GraphiQL and without introspection."""

    graphql_transport_ws_handler_class = SessionCheckedHandler

    def __init__(self, settings: Settings, runtime: Runtime) -> None:
        super().__init__(
            build_schema(production=True) if settings.is_production else schema,
            graphql_ide=None if settings.is_production else "graphiql",
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=20,
            allowed_origins=settings.browser_origins,  # the client app's pages may subscribe
        )
        self.settings = settings
        self.bus = runtime.bus
        self.wake_mail = runtime.wake_mail
        self.throttle = runtime.throttle
        self.sockets = SocketRegistry(settings, runtime.bus)

    async def get_context(self, request: Any, response: Any = None) -> Context:
        state = request.scope.get("state") or {}
        actor: Actor = state.get("actor") or anonymous()
        return Context(
            settings=self.settings,
            actor=actor,
            bus=self.bus,
            wake_mail=self.wake_mail,
            throttle=self.throttle,
            request=request,
            response=response,
        )

    async def on_ws_connect(self, context: Context) -> None:
        """Subscriptions need a valid token in connection_init; anything else closes 4403.

        The socket's session is then re-checked before every operation and watched until
        it ends (schema/socket_handler.py); over MAX_SOCKETS_PER_USER the socket closes 4429.
        """
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        token = bearer_token(raw if isinstance(raw, str) else None)
        if not token:
            raise ConnectionRejectionError()
        try:
            context.actor = await authenticate(self.settings, token)
        except InvalidBearerToken as exc:
            raise ConnectionRejectionError() from exc
        context.socket = self.sockets.open(context.actor)


GRAPHQL_RESPONSE = "application/graphql-response+json"


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
        result = json.loads(body)
    except ValueError:
        return 200, body
    errors = result.get("errors") or []
    if result.get("data") is None and errors and all("path" not in e for e in errors):
        result.pop("data", None)
        return 400, json.dumps(result).encode()
    return 200, body


class GraphQLEndpoint:
    """Resolves the actor once per HTTP request and keeps GET for GraphiQL only."""

    def __init__(self, settings: Settings, view: CarepathGraphQL) -> None:
        self.settings = settings
        self.view = view

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["method"] == "POST":
                receive, refusal = await screen_body(scope, receive, self.settings)
                if refusal is not None:
                    await refusal(scope, receive, send)
                    return
            request = Request(scope, receive)
            response = await self._screen(request)
            if response is not None:
                await response(scope, receive, send)
                return
            if request.method == "POST" and GRAPHQL_RESPONSE in request.headers.get("accept", ""):
                await self.view(scope, receive, GraphQLResponseSender(send))
                return
        await self.view(scope, receive, send)

    async def _screen(self, request: Request) -> Response | None:
        if request.method == "GET":
            wants_page = "text/html" in request.headers.get("accept", "")
            if wants_page and "query" not in request.query_params and self.view.graphql_ide:
                return None  # GraphiQL
            return PlainTextResponse(
                "Queries travel by POST; GET serves GraphiQL to browsers only."
                if self.view.graphql_ide
                else "Queries travel by POST.",
                status_code=405,
                headers={"Allow": "POST"},
            )
        if request.method != "POST":
            return PlainTextResponse("Method not allowed.", 405, headers={"Allow": "POST"})
        token = bearer_token(request.headers.get("authorization"))
        try:
            request.scope.setdefault("state", {})["actor"] = await authenticate(
                self.settings, token
            )
        except InvalidBearerToken:
            if GRAPHQL_RESPONSE in request.headers.get("accept", ""):
                body = {"errors": INVALID_TOKEN_BODY["errors"]}
                return JSONResponse(body, status_code=401, media_type=GRAPHQL_RESPONSE)
            return JSONResponse(INVALID_TOKEN_BODY)
        return None


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def calendar(request: Request) -> Response:
    """The provider's secret feed; an unknown or rotated-out secret is a plain 404."""
    text = await calendar_feed.feed(request.path_params["secret"])
    if text is None:
        return PlainTextResponse("Not found.", status_code=404)
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


class Runtime:
    """What the lifespan starts and stops: event bus, mail and webhook workers, embedded
    SMTP server."""

    def __init__(self, settings: Settings, bus: EventBus, run_mail_worker: bool) -> None:
        self.settings = settings
        self.bus = bus
        self.run_mail_worker = run_mail_worker
        self.throttle = Throttle(settings)
        self.sink: EmbeddedMailSink | None = None
        self.worker: MailWorker | None = None
        self._worker_task: asyncio.Task[None] | None = None
        self.webhooks: WebhookWorker | None = None
        self._webhook_task: asyncio.Task[None] | None = None

    def wake_mail(self) -> None:
        """After a mutation: mail and webhook deliveries it queued go out at once."""
        if self.worker is not None:
            self.worker.wake()
        if self.webhooks is not None:
            self.webhooks.wake()

    async def start(self) -> None:
        await self.bus.start()
        if not self.run_mail_worker:
            return
        smtp_url = self.settings.smtp_url
        if smtp_url is None:
            self.sink = start_embedded_sink(self.settings)
            smtp_url = self.sink.url
        self.worker = mail_worker(self.settings, smtp_url)
        self._worker_task = asyncio.create_task(self.worker.run_forever(), name="mail-worker")
        if self.settings.webhook_worker_in_serve:
            self.webhooks = WebhookWorker(self.settings, wake_mail=self.worker.wake)
            self._webhook_task = asyncio.create_task(
                self.webhooks.run_forever(), name="webhook-worker"
            )

    async def stop(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._worker_task is not None:
            self._worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker_task
        if self.sink is not None:
            self.sink.stop()
        await self.bus.stop()
        await self.throttle.close()


def start_embedded_sink(settings: Settings) -> EmbeddedMailSink:
    """The embedded SMTP server on its usual port, or a free one if that is taken."""
    try:
        sink = EmbeddedMailSink(settings.mail_dir, port=settings.embedded_smtp_port)
        sink.start()
    except (OSError, RuntimeError):
        sink = EmbeddedMailSink(settings.mail_dir, port=free_port())
        sink.start()
    return sink


def mail_worker(settings: Settings, smtp_url: str) -> MailWorker:
    return MailWorker(
        smtp_url,
        settings.mail_from,
        timeout_seconds=settings.smtp_timeout_seconds,
        poll_seconds=settings.mail_poll_seconds,
        max_attempts=settings.mail_max_attempts,
    )


def make_bus(settings: Settings) -> EventBus:
    if settings.redis_url:
        from carepath.events.redis_bus import RedisBus

        return RedisBus(settings.redis_url, settings.channel_prefix)
    return InMemoryBus()


def from_environment() -> Starlette:
    """For `uvicorn --factory carepath.app:from_environment` (tests' server processes)."""
    from carepath.settings import load_settings

    return create_app(load_settings())


def create_app(
    settings: Settings, *, bus: EventBus | None = None, run_mail_worker: bool = True
) -> Starlette:
    runtime = Runtime(settings, bus or make_bus(settings), run_mail_worker)
    config = tortoise_config(settings.database_url)
    view = CarepathGraphQL(settings, runtime)
    endpoint = GraphQLEndpoint(settings, view)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ensure_sqlite_directory(settings.database_url)
        await apply_migrations(config)
        async with RegisterTortoise(app, config=config, generate_schemas=False):
            await runtime.start()
            try:
                yield
            finally:
                await runtime.stop()

    routes = [
        Route("/graphql", endpoint, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        WebSocketRoute("/graphql", view),
        Route("/healthz", healthz),
        Route("/calendar/{secret}.ics", calendar, methods=["GET"]),
    ]
    cors = Middleware(
        CORSMiddleware,
        allow_origins=list(settings.browser_origins),
        allow_methods=["POST"],
        allow_headers=["Authorization", "Content-Type", "Accept"],
        max_age=600,
    )  # bearer tokens, never cookies: no credentials mode
    headers = Middleware(SecurityHeaders, production=settings.is_production)
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[headers, cors])
    app.state.runtime = runtime
    return app
