"""Insert-once for rows with a unique key, safe under concurrency and inside transactions."""

from __future__ import annotations

from typing import Any, TypeVar

from tortoise.exceptions import IntegrityError
from tortoise.models import Model
from tortoise.transactions import in_transaction

M = TypeVar("M", bound=Model)


async def get_or_insert(model: type[M], defaults: dict[str, Any] | None = None, **keys: Any) -> M:
    """The row with these unique `keys`, inserted (with `defaults`) when missing.

    The insert runs in its own (nested) transaction, so a concurrent insert of the same
    row loses quietly without aborting a surrounding PostgreSQL transaction; Tortoise's
    get_or_create does not promise that (tortoise #792).
    """
    existing = await model.get_or_none(**keys)
    if existing is not None:
        return existing
    try:
        async with in_transaction():
            return await model.create(**keys, **(defaults or {}))
    except IntegrityError:
        return await model.get(**keys)
