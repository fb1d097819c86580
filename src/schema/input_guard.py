"""NUL characters refused for a whole operation before it runs, over HTTP and WebSocket.

No field has a use for U+0000, and PostgreSQL refuses it in text: one that reached a
query (a login email, a booking slug, a message) was an internal error. Every operation
of both transports starts execution here, so one check covers the query text (a literal
NUL or a GraphQL `\\u0000` escape in a string), the operation name and the variables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from carepath.schema.errors import bad_user_input

NUL = "\x00"
_NUL_ESCAPE = re.compile(r"\\u(?:0000|\{0+\})")


class RefuseNul(SchemaExtension):
    """A top-level BAD_USER_INPUT, and nothing runs, when the request holds a NUL."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query or ""
        if _NUL_ESCAPE.search(query) or has_nul((query, context.operation_name, context.variables)):
            raise bad_user_input("Text must not contain NUL characters (U+0000).")
        yield


def has_nul(value: Any) -> bool:
    """Whether any string in a JSON-like value (keys included) holds a NUL; iterative, so
    that deeply nested variables cannot exhaust the stack."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False
