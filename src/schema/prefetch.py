"""A page's related rows, loaded once before its fields run, so that the fields answer
synchronously.

graphql-core resolves a list's items one after another within one tick of the loop: a
field that awaits a loader costs a coroutine, a task and a future per row even though one
query serves the whole page (an `async` field was measured at ~25 µs, a plain one at ~4).
A page resolver that sees in its selection which related rows its fields will read loads
them for every row first (`selected_below`, then `load_many`); the fields read them with
`now_or_later`, which answers from the loaders' cache and falls back to an ordinary load
where nothing was prefetched (an object reached another way, a single `node`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from strawberry.dataloader import DataLoader
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from carepath.schema.context import Info
from carepath.services.actor import ActorFacts

K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Loaded(Generic[V]):
    value: V


def loaded(loader: DataLoader[K, V], key: K) -> Loaded[V] | None:
    """What this request's loader holds for `key`, or None when it has not loaded it."""
    future = loader.cache_map.get(key)
    if future is None or not future.done() or future.cancelled() or future.exception():
        return None
    return Loaded(future.result())


def now_or_later(loader: DataLoader[K, V], key: K, then: Callable[[V], R]) -> R:
    """`then(value)` now when the loader holds `key`; otherwise an awaitable of it, which
    graphql-core awaits as it awaits any resolver's result. Typed as the value, since that
    is what the field's GraphQL type declares."""
    hit = loaded(loader, key)
    if hit is not None:
        return then(hit.value)

    async def load_then() -> R:
        return then(await loader.load(key))

    return later(load_then())


def later(awaitable: Awaitable[R]) -> R:
    """A field's answer still to come, from a resolver declared as returning the value:
    graphql-core awaits whatever awaitable a resolver returns."""
    return cast(R, awaitable)


def with_facts(
    info: Info, loader: DataLoader[K, V], key: K, then: Callable[[ActorFacts, V], R]
) -> R:
    """`then(viewer's facts, value)`: now when both are loaded, else once they are."""
    viewer = info.context.actor.known_facts
    hit = loaded(loader, key)
    if viewer is not None and hit is not None:
        return then(viewer, hit.value)

    async def load_then() -> R:
        return then(await info.context.actor.facts(), await loader.load(key))

    return later(load_then())


async def load_all(loader: DataLoader[K, Any], keys: Iterable[K]) -> None:
    """One batch for every key not yet loaded (none when there is nothing to load)."""
    wanted = list(dict.fromkeys(keys))
    if wanted:
        await loader.load_many(wanted)


def selected_below(info: Info, *path: str) -> set[str]:
    """The field names selected at `path` under the current field (`"edges", "node"` on a
    connection), through fragments; directives are ignored, so a skipped field counts as
    selected, which can only mean a prefetch too many."""
    level: list[Selection] = [
        child for f in _fields(info.selected_fields) for child in f.selections
    ]
    for name in path:
        level = [child for f in _fields(level) if f.name == name for child in f.selections]
    return {field.name for field in _fields(level)}


def _fields(selections: Iterable[Selection]) -> list[SelectedField]:
    found: list[SelectedField] = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            found.append(selection)
        elif isinstance(selection, FragmentSpread | InlineFragment):
            found.extend(_fields(selection.selections))
    return found
