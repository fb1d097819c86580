"""What production hides: the schema (no introspection) and its names in error messages.

A client app knows the schema it was built against; anyone else asking for it, or
guessing field names from "Did you mean ...?" hints, is mapping the attack surface.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

# graphql-core's hints read " Did you mean 'a', 'b', or 'c'?", at the end of a message or
# before the "Found: ..." of a variable's value; names never hold a question mark.
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    return _SUGGESTION.sub("", message)


class HideSchema(SchemaExtension):
    """Refuses introspection (`__schema`, `__type`; `__typename` stays) and strips
    "Did you mean" hints from every error message."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (*context.validation_rules, NoSchemaIntrospectionCustomRule)
        yield
        result = context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            for error in result.errors:
                _strip(error)


def _strip(error: GraphQLError) -> None:
    error.message = without_suggestions(error.message)
