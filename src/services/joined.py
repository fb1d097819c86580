"""Hand-written SELECTs that read several tables in one statement, turned back into models.

For the few hot paths where Tortoise would send one query per table (the session with
its user and the actor's facts; a page of messages per conversation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model

M = TypeVar("M", bound=Model)


def database(model: type[Model]) -> BaseDBAsyncClient:
    """The connection a query on `model` would use now (the transaction's, inside one)."""
    return model._choose_db()


def placeholders(db: BaseDBAsyncClient, count: int, start: int = 1) -> list[str]:
    """Parameter markers in the driver's style: $1, $2 on PostgreSQL, ? on SQLite."""
    if db.capabilities.dialect == "postgres":
        return [f"${n}" for n in range(start, start + count)]
    return ["?"] * count


def columns(model: type[Model], alias: str, prefix: str) -> str:
    """`alias."col" AS "prefixcol"` for every column of the model."""
    return ", ".join(
        f'{alias}."{column}" AS "{prefix}{column}"'
        for column in model._meta.fields_db_projection.values()
    )


def hydrate(model: type[M], row: Mapping[str, Any], prefix: str) -> M:
    """The model instance of the `prefix`ed columns, converted as Tortoise converts them."""
    size = len(prefix)
    return model._init_from_db(**{k[size:]: v for k, v in row.items() if k.startswith(prefix)})


async def fetch(model: type[Model], sql: str, values: Sequence[Any]) -> list[dict[str, Any]]:
    rows = await database(model).execute_query_dict(sql, list(values))
    return [dict(row) for row in rows]
