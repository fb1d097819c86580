"""Each operation's name, type, duration and error codes, for metrics and the request log.

Listed first among the schema's extensions, so that it sees the errors as clients do
(masked, coded). Subscriptions are not timed: their duration is the subscriber's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from carepath import metrics
from carepath.request_context import note_operation

TIMED = ("query", "mutation")


class ObserveOperations(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except GraphQLError as refused:  # a request error raised before execution
            self._count([refused])
            raise
        context = self.execution_context
        operation_type = self._type()
        note_operation(context.operation_name, operation_type)
        if operation_type in TIMED:
            metrics.OPERATION_SECONDS.labels(
                operation=metrics.operation_label(context.operation_name), type=operation_type
            ).observe(time.perf_counter() - started)
        result = context.result
        self._count(list(getattr(result, "errors", None) or []))

    def _type(self) -> str | None:
        try:
            return self.execution_context.operation_type.value
        except RuntimeError:  # no document (a syntax error) or no such operation
            return None

    @staticmethod
    def _count(errors: list[GraphQLError]) -> None:
        for code in dict.fromkeys(str((e.extensions or {}).get("code", "UNKNOWN")) for e in errors):
            metrics.error(code)
