"""Writes the operation's PHI access log once the operation is done (services.phi_log).

Over HTTP an operation is one request; over the WebSocket every operation has a context
and a log of its own (schema/socket_handler.py), and a subscription's log is written after
each event it delivers. A failing write is logged by PhiLog.flush, never a failed request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from carepath.schema.context import Context


class WritePhiAccessLog(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self._flush()

    async def on_stream_result(self, result: ExecutionResult) -> AsyncIterator[None]:  # type: ignore[override]
        yield
        await self._flush()

    async def _flush(self) -> None:
        context = self.execution_context.context
        if isinstance(context, Context) and len(context.phi):
            await context.phi.flush(context.actor, self.execution_context.operation_name)
