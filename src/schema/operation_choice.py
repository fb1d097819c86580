"""Which operation of a document runs: exactly one, named when there are several.

strawberry runs the first operation of a document sent without `operationName`, and
answers an unknown `operationName` with plain text. GraphQL (GetOperation) makes both a
request error: here they are one coded GraphQL error before anything runs, over HTTP
(400 with `application/graphql-response+json`) and over the WebSocket alike. The code is
Apollo Server's, which clients know.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from typing import Any

from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import PreExecutionError

from carepath.schema.errors import CodedError

CODE = "OPERATION_RESOLUTION_FAILURE"


class ChooseOperation(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        document = context.graphql_document
        if document is None:
            return  # a syntax error: reported as such
        names = [
            d.name.value if d.name else None
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        ]
        # strawberry keeps the client's operationName privately (an InitVar).
        wanted: str | None = getattr(context, "_provided_operation_name", None)
        if wanted is None and len(names) > 1:
            raise CodedError(
                CODE,
                "The document has several operations: say which to run in `operationName`.",
            )
        if wanted is not None and wanted not in names:
            raise CodedError(CODE, f"The document has no operation named {wanted!r}.")


async def request_errors_as_results(source: Any) -> AsyncGenerator[Any, None]:
    """A stream whose request error (raised by ChooseOperation) is its one result, an
    error message on the WebSocket: strawberry's `execute` does so, its `stream` does not."""
    try:
        async for result in source:
            yield result
    except CodedError as error:
        yield PreExecutionError(data=None, errors=[error])
    finally:
        await source.aclose()
