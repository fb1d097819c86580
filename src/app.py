"""create_app(settings): the Starlette application, its routes and its lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from tortoise.contrib.starlette import RegisterTortoise

from carepath import metrics
from carepath.api import build_schema, schema
from carepath.db import (
    apply_migrations,
    database_unavailable,
    ensure_sqlite_directory,
    tortoise_config,
)
from carepath.events.bus import EventBus
from carepath.graphiql import STATIC_PATH, render_page, static_asset
from carepath.graphql_response import GRAPHQL_RESPONSE, GraphQLResponseSender
from carepath.health import readyz
from carepath.http_guards import (
    Refusal,
    graphql_error_response,
    replay,
    request_error_response,
    screen_body,
)
from carepath.logs import route_structlog_to_stdlib
from carepath.observability import ObserveRequests
from carepath.persisted_queries import PersistedQueries
from carepath.request_context import note_operation
from carepath.runtime import Runtime, freeze_startup_objects, make_bus
from carepath.schema.context import Context
from carepath.schema.errors import SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE
from carepath.schema.socket_handler import ConnectionRefused, SessionCheckedHandler
from carepath.schema.socket_session import SocketRegistry
from carepath.security_headers import SecurityHeaders
from carepath.services import calendar_feed
from carepath.services.actor import Actor, anonymous
from carepath.services.errors import InvalidBearerToken
from carepath.services.sessions import authenticate, bearer_token
from carepath.settings import Settings
from carepath.tracing import tracing_extension

log = logging.getLogger(__name__)

EXPECTED_CONNECTION_PARAMS = (
    'Send connection_init with the payload {"Authorization": "Bearer <token>"}.'
)
INVALID_TOKEN = "The bearer token is invalid, expired or revoked: sign in again."
SUBSCRIPTION_OVER_POST = (
    "Subscriptions run over the WebSocket at /graphql (graphql-transport-ws), not over POST."
)
HTTP_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})
# strawberry's own HTTP refusals, by status, as codes.
HTTP_ERROR_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE"}


class CarepathGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI view with safe defaults: POST only, graphql-transport-ws only;
    in production without GraphiQL and without introspection."""

    graphql_transport_ws_handler_class = SessionCheckedHandler

    def __init__(self, settings: Settings, runtime: Runtime) -> None:
        tracing = tracing_extension(settings)
        super().__init__(
            build_schema(production=settings.is_production, tracing=tracing)
            if settings.is_production or tracing is not None
            else schema,
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
        self.persisted = PersistedQueries(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """strawberry's view, with its HTTP refusals (plain text there) as GraphQL JSON."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        response: Response
        try:
            response = await self.run(request)
        except HTTPException as exc:
            code = HTTP_ERROR_CODES.get(exc.status_code, "BAD_REQUEST")
            response = graphql_error_response(
                exc.status_code, code, exc.reason, accept=request.headers.get("accept", "")
            )
        except Refusal as refusal:
            response = refusal.response(request.headers.get("accept", ""))
        await response(scope, receive, send)

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: None,
        request_data: Any,
    ) -> ExecutionResult:
        """strawberry's, with POST carrying queries and mutations only: a subscription is
        refused with a 400 that names the WebSocket (strawberry would run it to a crash)."""
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=HTTP_OPERATIONS,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as exc:
            raise Refusal(400, "BAD_REQUEST", SUBSCRIPTION_OVER_POST) from exc

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our page, with assets from this server: GraphiQL works on a closed network."""
        return render_page(request)

    def encode_json(self, data: object) -> str:
        """orjson: several times faster than the standard library on a page of results.
        Text, not bytes: a WebSocket frame must stay a text frame."""
        return orjson.dumps(data).decode()

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

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
        """Subscriptions need a valid token in connection_init; anything else closes 4403,
        with a reason that names the expected payload (or says the token is bad).

        The socket's session is then re-checked before every operation and watched until
        it ends (schema/socket_handler.py); over MAX_SOCKETS_PER_USER the socket closes 4429.
        """
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        token = bearer_token(raw if isinstance(raw, str) else None)
        if not token:
            raise ConnectionRefused(EXPECTED_CONNECTION_PARAMS)
        try:
            context.actor = await authenticate(self.settings, token)
        except InvalidBearerToken as exc:
            raise ConnectionRefused(INVALID_TOKEN) from exc
        context.socket = self.sockets.open(context.actor)


RETRY_AFTER = {"Retry-After": "5"}


class GraphQLEndpoint:
    """Reads and checks the body (its document from persisted queries when only a hash
    is sent), resolves the actor once per HTTP request and keeps GET for GraphiQL only.
    Every refusal is a GraphQL-shaped JSON error (http_guards.graphql_error_response)."""

    def __init__(self, settings: Settings, view: CarepathGraphQL) -> None:
        self.settings = settings
        self.view = view

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["method"] == "POST":
                try:
                    receive = await self._read(scope, receive)
                except Refusal as refusal:
                    accept = Request(scope).headers.get("accept", "")
                    await refusal.response(accept)(scope, receive, send)
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

    async def _read(self, scope: Scope, receive: Receive) -> Receive:
        """The receive to hand strawberry: the checked body, with the persisted document
        in place of a hash; or a Refusal."""
        body, graphql_request = await screen_body(scope, receive, self.settings)
        note_operation(graphql_request.get("operationName"), None)
        query = self.view.persisted.resolve(graphql_request)
        if query != graphql_request.get("query"):
            body = orjson.dumps({**graphql_request, "query": query})
        return replay(body, receive)

    async def _screen(self, request: Request) -> Response | None:
        accept = request.headers.get("accept", "")
        if request.method == "GET":
            wants_page = "text/html" in accept
            if wants_page and "query" not in request.query_params and self.view.graphql_ide:
                return None  # GraphiQL
            return graphql_error_response(
                405,
                "METHOD_NOT_ALLOWED",
                "Queries travel by POST; GET serves GraphiQL to browsers only."
                if self.view.graphql_ide
                else "Queries travel by POST.",
                accept=accept,
                headers={"Allow": "POST"},
            )
        if request.method != "POST":
            return graphql_error_response(
                405, "METHOD_NOT_ALLOWED", "Queries travel by POST.", accept=accept,
                headers={"Allow": "POST"},
            )  # fmt: skip
        token = bearer_token(request.headers.get("authorization"))
        try:
            request.scope.setdefault("state", {})["actor"] = await authenticate(
                self.settings, token
            )
        except InvalidBearerToken:
            return request_error_response(401, "UNAUTHENTICATED", INVALID_TOKEN, accept=accept)
        except Exception as error:
            if not database_unavailable(error):
                raise
            log.warning("database unavailable at authentication: %s", type(error).__name__)
            return request_error_response(
                503, SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE, accept=accept, headers=RETRY_AFTER
            )
        return None


def ready_line(settings: Settings, *, graphiql: bool) -> str:
    """What a person starting Carepath needs first: where to point a browser or client."""
    where = f"{settings.public_api_url}/graphql"
    page = f"GraphiQL at {where}" if graphiql else f"GraphQL at {where} (no GraphiQL)"
    return f"Carepath ready: {page}; subscriptions at {where.replace('http', 'ws', 1)}"


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


def from_environment() -> Starlette:
    """For `uvicorn --factory carepath.app:from_environment` (tests' server processes)."""
    from carepath.settings import load_settings

    return create_app(load_settings())


def worker_from_environment() -> Starlette:
    """For `carepath serve --workers N`: each worker process sets up its own logging (it
    does not inherit the parent's handlers), then builds the app."""
    from carepath.cli import configure_command_logging
    from carepath.settings import load_settings

    settings = load_settings()
    configure_command_logging(settings)
    return create_app(settings)


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
            freeze_startup_objects()
            log.info(ready_line(settings, graphiql=view.graphql_ide is not None))
            try:
                yield
            finally:
                await runtime.stop()

    routes = [
        Route("/graphql", endpoint),  # any method: the endpoint refuses all but POST and GET
        WebSocketRoute("/graphql", view),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/calendar/{secret}.ics", calendar, methods=["GET"]),
    ]
    if view.graphql_ide:  # not in production
        routes += [
            Route("/", lambda _: RedirectResponse("/graphql"), methods=["GET"]),
            Route(STATIC_PATH + "/{name}", static_asset, methods=["GET"]),
        ]
    if settings.metrics_enabled:
        routes.append(Route("/metrics", metrics.metrics))
    cors = Middleware(
        CORSMiddleware,
        allow_origins=list(settings.browser_origins),
        allow_methods=["POST"],
        allow_headers=["Authorization", "Content-Type", "Accept"],
        max_age=600,
    )  # bearer tokens, never cookies: no credentials mode
    headers = Middleware(SecurityHeaders, production=settings.is_production)
    route_structlog_to_stdlib()
    observe = Middleware(ObserveRequests)  # outermost: it times and ids everything
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[observe, headers, cors])
    app.state.runtime = runtime
    return app
