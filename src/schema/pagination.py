"""Relay connections over querysets: keyset cursors, sliced in SQL, `first`/`last` capped."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

import strawberry
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from carepath.schema.errors import bad_user_input

MAX_PAGE = 100
NodeT = TypeVar("NodeT")
ModelT = TypeVar("ModelT", bound=Model)


class Keyed(Protocol):
    """A page's row: a model, or a lighter row with `pk` and the ordering's column."""

    @property
    def pk(self) -> Any: ...


RowT = TypeVar("RowT", bound=Keyed)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeT]):
    node: NodeT
    cursor: str


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo


@dataclass(frozen=True)
class Page:
    """Paging arguments as the client sent them."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass(frozen=True)
class Ordering:
    """A total order: one column then the primary key, both in the same direction."""

    column: str
    descending: bool = False


def _encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, ordering: Ordering) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(pk, int):
            raise ValueError
        if isinstance(value, str) and ordering.column.endswith("_at"):
            value = datetime.fromisoformat(value)
        return value, pk
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise bad_user_input("That cursor is not valid for this list.") from exc


def _past(ordering: Ordering, value: Any, pk: int, forward: bool) -> Q:
    """Rows strictly after (forward) or before the cursor in the ordering."""
    later = forward != ordering.descending
    op = "gt" if later else "lt"
    by_pk: dict[str, Any] = {f"id__{op}": pk}
    if ordering.column == "id":
        return Q(**by_pk)
    beyond: dict[str, Any] = {f"{ordering.column}__{op}": value}
    level: dict[str, Any] = {ordering.column: value}
    return Q(**beyond) | Q(Q(**level), Q(**by_pk))


def _order_by(ordering: Ordering, reverse: bool) -> list[str]:
    descending = ordering.descending != reverse
    sign = "-" if descending else ""
    columns = [ordering.column] if ordering.column != "id" else []
    return [f"{sign}{c}" for c in [*columns, "id"]]


def check_page(page: Page) -> None:
    for name, value in (("first", page.first), ("last", page.last)):
        if value is not None and not 0 <= value <= MAX_PAGE:
            raise bad_user_input(f"`{name}` must be between 0 and {MAX_PAGE}.")


def _plan(page: Page) -> tuple[bool, int]:
    """(from the end?, how many rows the page holds at most)."""
    from_end = page.last is not None and page.first is None
    limit = page.last if from_end else page.first
    return from_end, MAX_PAGE if limit is None else limit


def cursor_bounds(page: Page, ordering: Ordering) -> tuple[Q | None, Q | None]:
    """The filters of `after` and `before` (None where not given)."""
    after = before = None
    if page.after is not None:
        after = _past(ordering, *_decode_cursor(page.after, ordering), True)
    if page.before is not None:
        before = _past(ordering, *_decode_cursor(page.before, ordering), False)
    return after, before


def id_bounds(page: Page) -> tuple[int | None, int | None]:
    """For lists ordered by id alone: the ids `after` and `before` point at."""
    by_id = Ordering("id")
    after = _decode_cursor(page.after, by_id)[1] if page.after is not None else None
    before = _decode_cursor(page.before, by_id)[1] if page.before is not None else None
    return after, before


def fetch_order(page: Page, ordering: Ordering) -> tuple[list[str], int]:
    """The ORDER BY columns and LIMIT a page's rows are read with (one more than fits)."""
    from_end, size = _plan(page)
    return _order_by(ordering, from_end), size + 1


async def paginate(
    queryset: QuerySet[ModelT],
    page: Page,
    ordering: Ordering,
    wrap: Callable[[ModelT], NodeT],
    prefetch: Callable[[list[ModelT]], Awaitable[None]] | None = None,
) -> Connection[NodeT]:
    """A page of `queryset`; `prefetch` loads what the rows' fields will read (schema.prefetch)."""
    check_page(page)
    for bound in cursor_bounds(page, ordering):
        if bound is not None:
            queryset = queryset.filter(bound)
    order, limit = fetch_order(page, ordering)
    rows: list[ModelT] = await queryset.order_by(*order).limit(limit)
    if prefetch is not None:
        await prefetch(rows)
    return connection_of(rows, page, ordering, wrap)


def connection_of(
    rows: Sequence[RowT], page: Page, ordering: Ordering, wrap: Callable[[RowT], NodeT]
) -> Connection[NodeT]:
    """The connection of rows read as fetch_order says (a page's rows and one more)."""
    from_end, size = _plan(page)
    overflow = len(rows) > size
    rows = list(rows[:size])
    if from_end:
        rows.reverse()
    if page.first is not None and page.last is not None and len(rows) > page.last:
        rows = rows[len(rows) - page.last :]
        overflow_back = True
    else:
        overflow_back = False
    edges = []
    for row in rows:
        cursor = _encode_cursor([getattr(row, ordering.column), row.pk])
        edges.append(Edge(node=wrap(row), cursor=cursor))
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=(overflow and not from_end) or page.before is not None,
            has_previous_page=(overflow and from_end) or overflow_back or page.after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def empty_connection() -> Connection[Any]:
    return Connection(
        edges=[],
        page_info=PageInfo(
            has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
        ),
    )
