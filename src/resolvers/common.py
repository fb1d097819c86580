"""What every mutation resolver does around its service call."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from carepath.schema.context import Info
from carepath.schema.errors import UserError, unauthenticated
from carepath.services.errors import AuthenticationRequired, RuleViolation

T = TypeVar("T")


async def attempt(info: Info, call: Awaitable[T]) -> tuple[T | None, list[UserError]]:
    """(result, []) on success; (None, [error]) on a refused rule; UNAUTHENTICATED on top.

    A success may have queued mail or changed the actor's roles, so the mail worker is
    woken and the actor's cached facts dropped.
    """
    try:
        result = await call
    except RuleViolation as violation:
        return None, [UserError.of(violation)]
    except AuthenticationRequired as exc:
        raise unauthenticated() from exc
    info.context.actor.forget_facts()
    info.context.wake_mail()
    return result, []
