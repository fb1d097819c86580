"""Errors as the API shows them: payload UserErrors and coded top-level errors."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from carepath.db import database_unavailable
from carepath.request_context import current_request_id, new_request_id
from carepath.services.errors import ErrorCode, RuleViolation

log = logging.getLogger("carepath.errors")

ErrorCodeEnum = strawberry.enum(ErrorCode, name="ErrorCode")


@strawberry.type
class UserError:
    code: ErrorCodeEnum  # type: ignore[valid-type]
    message: str
    field: str | None = strawberry.field(
        default=None, description="The input field at fault, as a dotted path, where one is."
    )

    @classmethod
    def of(cls, violation: RuleViolation) -> UserError:
        return cls(code=violation.code, message=violation.message, field=violation.field)


# A subscription's stream ended because events may have been missed (see events/bus.py);
# the socket sends it as that operation's `error` message.
EVENTS_INTERRUPTED = "EVENTS_INTERRUPTED"
# The database could not be reached (a restart, a failover): nothing to fix, try again.
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
UNAVAILABLE_MESSAGE = "The service is briefly unavailable: try again in a few seconds."


class CodedError(GraphQLError):
    """A top-level error we mean to show (UNAUTHENTICATED, FORBIDDEN, BAD_USER_INPUT)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, extensions={"code": code})


def unauthenticated() -> CodedError:
    return CodedError("UNAUTHENTICATED", "Sign in to do this.")


def forbidden() -> CodedError:
    return CodedError("FORBIDDEN", "You are not allowed to see this.")


def bad_user_input(message: str) -> CodedError:
    return CodedError("BAD_USER_INPUT", message)


def service_unavailable() -> CodedError:
    return CodedError(SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE)


def should_mask_error(error: GraphQLError) -> bool:
    """Keep our coded errors and GraphQL's own validation errors; mask everything else."""
    original = error.original_error
    if original is None:
        return False
    if isinstance(original, CodedError):
        return False
    if isinstance(original, GraphQLError) and original.original_error is None:
        return False  # argument coercion and similar request errors
    request_id = current_request_id() or new_request_id()  # outside any request
    where = ".".join(str(p) for p in error.path or [])
    if database_unavailable(original):  # not a bug: one line, no stack
        log.warning("database unavailable %s at %s: %s", request_id, where, type(original).__name__)
    else:
        log.error("internal error %s at %s", request_id, where, exc_info=original)
    if error.extensions is None:
        error.extensions = {}
    error.extensions["requestId"] = request_id
    return True


def masked(error: GraphQLError) -> GraphQLError:
    """The error as clients see it: a code and the request id that finds it in the log.
    An unreachable database is SERVICE_UNAVAILABLE: the client may try again shortly."""
    request_id = (error.extensions or {}).get("requestId")
    unavailable = error.original_error is not None and database_unavailable(error.original_error)
    return GraphQLError(
        message=UNAVAILABLE_MESSAGE if unavailable else "Internal error.",
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={
            "code": SERVICE_UNAVAILABLE if unavailable else "INTERNAL_SERVER_ERROR",
            "requestId": request_id,
        },
    )


class MaskInternalErrors(MaskErrors):
    """Masks what should_mask_error picks, keeping a code and the request id for support."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask_error, error_message="Internal error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return masked(error)


def mask_in_place(errors: list[GraphQLError]) -> None:
    """Masks internal errors that MaskInternalErrors never saw, and codes the rest.

    An exception raised before execution (in parsing or validation) unwinds through the
    extension's hook, so strawberry hands it to Schema.process_errors unmasked.
    """
    for index, error in enumerate(errors):
        if should_mask_error(error):
            errors[index] = masked(error)
        elif not (error.extensions or {}).get("code"):
            error.extensions = {**(error.extensions or {}), "code": request_error_code(error)}


def request_error_code(error: GraphQLError) -> str:
    """graphql-core's own errors carry no code: name what kind of request error it is, so
    that every error a client sees has one (Apollo's names, which clients know)."""
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable '$"):
        return "BAD_USER_INPUT"  # a variable's value does not fit its type
    return "GRAPHQL_VALIDATION_FAILED"
