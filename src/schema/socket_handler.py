"""strawberry's graphql-transport-ws handler, with the session kept honest per operation.

strawberry runs every operation of a connection with the one context made at connect:
the same actor, the same loaders, the session as it was at `connection_init`. Here each
`subscribe` message (query, mutation or subscription alike) first re-checks the socket's
session (schema/socket_session.py), then runs with a context of its own: fresh
per-request loaders and the actor's facts loaded anew. A session that ends closes the
socket with 4403; an account over its socket cap is closed at `connection_init` with 4429.
A refused `connection_init` closes with 4403 and a reason that says what was expected.
A `subscribe` payload may carry a persisted query's hash instead of its document
(persisted_queries.py; PERSISTED_QUERIES=only applies here too): a refusal is an `error`
message for that operation.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocketDisconnect
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    CompleteMessage,
    ConnectionInitMessage,
    ErrorMessage,
    SubscribeMessage,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.utils.aio import aclosing

from carepath import metrics
from carepath.http_guards import Refusal
from carepath.request_context import RequestRecord, new_request_id, observing
from carepath.schema.context import Context
from carepath.schema.errors import EVENTS_INTERRUPTED
from carepath.schema.loaders import Loaders
from carepath.schema.socket_session import SessionEnded, TooManySockets
from carepath.services.phi_log import PhiLog

if TYPE_CHECKING:
    from strawberry.schema.schema import StreamResult

SESSION_ENDED_CODE = 4403
TOO_MANY_SOCKETS_CODE = 4429
TOO_MANY_SOCKETS_REASON = "Too many open sockets for this account"


class ConnectionRefused(Exception):
    """`connection_init` refused (4403); `reason` is short, safe to send, and helpful."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SessionCheckedHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Checks the socket's session before each operation; one context per operation."""

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except TooManySockets:
            await self.websocket.close(code=TOO_MANY_SOCKETS_CODE, reason=TOO_MANY_SOCKETS_REASON)
            return
        except ConnectionRefused as refused:
            await self.websocket.close(code=SESSION_ENDED_CODE, reason=refused.reason)
            return
        socket = self.context.socket
        if self.connection_acknowledged and socket is not None and not socket.started:
            await socket.start(self.end_session)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        socket = self.context.socket
        if self.connection_acknowledged and socket is not None:
            try:
                await socket.check()
            except SessionEnded as ended:
                await self.end_session(ended.reason)
                return
            if not await self._resolve_document(message):
                return
        await super().handle_subscribe(message)

    async def _resolve_document(self, message: SubscribeMessage) -> bool:
        """The payload's document from persisted queries; False once refused."""
        payload: Any = message.get("payload")
        if not isinstance(payload, dict):
            return True  # strawberry refuses the message itself
        try:
            payload["query"] = self.view.persisted.resolve(payload)  # type: ignore[attr-defined]
        except Refusal as refusal:
            metrics.error(refusal.code)
            error: Any = {"message": refusal.message, "extensions": {"code": refusal.code}}
            await self.send_message(ErrorMessage(id=message["id"], type="error", payload=[error]))
            return False
        return True

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """strawberry 0.341's run_operation, with a context of the operation's own."""
        metrics.SOCKET_OPERATIONS.inc()
        # One request id per operation: its masked errors and PHI log rows name the same one.
        with observing(RequestRecord(new_request_id())):
            try:
                result_source = await self.schema.stream(
                    operation.query,
                    variable_values=operation.variables,
                    context_value=await self.operation_context(),
                    root_value=self.root_value,
                    operation_name=operation.operation_name,
                )
                async with aclosing(result_source):
                    await self._send_result_stream(operation, result_source)
                await operation.send_operation_message(
                    CompleteMessage(id=operation.id, type="complete")
                )
            except _OperationStreamClosed:
                return
            except Exception as error:
                await self.handle_task_exception(error)
                with contextlib.suppress(Exception):
                    await operation.send_operation_message({"id": operation.id, "type": "complete"})
                self.operations.pop(operation.id, None)
                raise
            finally:
                metrics.SOCKET_OPERATIONS.dec()

    async def _send_result_stream(
        self, operation: Operation[Context, None], result_source: StreamResult
    ) -> None:
        """strawberry's, except that a stream ended by EVENTS_INTERRUPTED ends with that
        operation's `error` message (not `next` then `complete`): the client knows the
        subscription is over and why, and re-subscribes."""
        is_first_result = True
        async for result in result_source:
            if is_first_result and isinstance(result, PreExecutionError):
                await self._handle_pre_execution_error(operation, result)
                return
            if not isinstance(result, ExecutionResult):
                await self._reject_incremental_delivery(operation)
                return
            if _interrupted(result):
                await operation.send_initial_errors(list(result.errors or []))
                return
            await operation.send_next(result)
            is_first_result = False

    async def operation_context(self) -> Context:
        """Fresh loaders, a fresh actor and a PHI access log of the operation's own: a
        connection outlives what a request may cache."""
        socket = self.context.socket
        actor = await socket.actor() if socket is not None else self.context.actor
        return dataclasses.replace(self.context, actor=actor, loaders=Loaders(), phi=PhiLog())

    async def end_session(self, reason: str) -> None:
        """Revoked, expired or idle: every operation stops and the socket closes 4403."""
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):  # the peer may be gone
            await self.websocket.close(code=SESSION_ENDED_CODE, reason=reason)

    async def shutdown(self) -> None:
        try:
            await super().shutdown()
        finally:
            if self.context.socket is not None:
                await self.context.socket.stop()


def _interrupted(result: ExecutionResult) -> bool:
    return result.data is None and any(
        (error.extensions or {}).get("code") == EVENTS_INTERRUPTED for error in result.errors or []
    )
