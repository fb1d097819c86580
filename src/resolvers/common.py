"""What every mutation resolver does around its service call."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from carepath.schema.context import Info
from carepath.schema.errors import UserError, unauthenticated
from carepath.schema.ids import pk_of
from carepath.services.errors import AuthenticationRequired, ErrorCode, RuleViolation
from carepath.services.phi_log import PhiObject

T = TypeVar("T")
REFUSED_ACCESS = {ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN}


def phi_named(global_id: str | None, type_name: str) -> PhiObject | None:
    """The client, or client's appointment, a mutation names: for the PHI access log."""
    pk = pk_of(global_id, type_name)
    if pk is None:
        return None
    return PhiObject(type_name, pk, pk if type_name == "Client" else None)


async def attempt(
    info: Info, call: Awaitable[T], phi: PhiObject | None = None
) -> tuple[T | None, list[UserError]]:
    """(result, []) on success; (None, [error]) on a refused rule; UNAUTHENTICATED on top.

    A success may have queued mail or changed the actor's roles, so the mail worker is
    woken and the actor's cached facts dropped. A NOT_FOUND or FORBIDDEN on a client's
    object (`phi`) is a refused access for the PHI access log.
    """
    try:
        result = await call
    except RuleViolation as violation:
        if phi is not None and violation.code in REFUSED_ACCESS:
            info.context.phi.denied(phi, action=info.field_name)
        return None, [UserError.of(violation)]
    except AuthenticationRequired as exc:
        raise unauthenticated() from exc
    info.context.actor.forget_facts()
    info.context.wake_mail()
    return result, []
