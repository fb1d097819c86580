"""Publish/subscribe behind one interface: in-process by default, Redis across processes.

The database stays the source of truth: an event only says that something new exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

log = logging.getLogger(__name__)

Event = dict[str, Any]
Publish = Callable[[str, Event], Awaitable[None]]
QUEUE_LIMIT = 256
# Put in every local queue when events may have been missed (the bus lost its connection,
# or came back after losing it, or a subscriber fell behind): listeners must catch up
# from the database, the source of truth.
INTERRUPTED_TYPE = "interrupted"


def interrupted(event: Event) -> bool:
    """Whether the event is the marker that says events may have been missed."""
    return event.get("type") == INTERRUPTED_TYPE


class EventBus(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, channel: str, event: Event) -> None: ...

    def listen(self, channels: Iterable[str]) -> AbstractAsyncContextManager[asyncio.Queue[Event]]:
        """A queue that receives the channels' events while the context is open."""
        ...


class _Fanout:
    """Local subscribers by channel; shared by both backends for the last hop."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)

    @property
    def channels(self) -> set[str]:
        return {channel for channel, queues in self._queues.items() if queues}

    def deliver(self, channel: str, event: Event) -> None:
        for queue in list(self._queues.get(channel, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("subscriber too slow; interrupted on %s", channel.split(":")[0])
                _interrupt(queue)

    def interrupt(self) -> int:
        """Tells every local listener that events may have been missed; how many were told."""
        queues = {queue for queues in self._queues.values() for queue in queues}
        for queue in queues:
            _interrupt(queue)
        return len(queues)

    def add(self, channels: Iterable[str], queue: asyncio.Queue[Event]) -> None:
        for channel in channels:
            self._queues[channel].add(queue)

    @contextlib.asynccontextmanager
    async def listening(self, channels: Iterable[str]) -> AsyncIterator[asyncio.Queue[Event]]:
        wanted = list(channels)
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_LIMIT)
        self.add(wanted, queue)
        try:
            yield queue
        finally:
            self.remove(wanted, queue)

    def remove(self, channels: Iterable[str], queue: asyncio.Queue[Event]) -> list[str]:
        """Drops the queue; returns the channels left without any subscriber."""
        emptied = []
        for channel in channels:
            queues = self._queues.get(channel)
            if queues is None:
                continue
            queues.discard(queue)
            if not queues:
                del self._queues[channel]
                emptied.append(channel)
        return emptied


def _interrupt(queue: asyncio.Queue[Event]) -> None:
    """The marker, even in a full queue: what it replaces must be caught up on anyway."""
    if queue.full():
        while not queue.empty():
            queue.get_nowait()
    queue.put_nowait({"type": INTERRUPTED_TYPE})


class InMemoryBus:
    """One process only: the default, and what tests without Redis use."""

    def __init__(self) -> None:
        self._fanout = _Fanout()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, channel: str, event: Event) -> None:
        self._fanout.deliver(channel, event)

    @contextlib.asynccontextmanager
    async def listen(self, channels: Iterable[str]) -> AsyncIterator[asyncio.Queue[Event]]:
        async with self._fanout.listening(channels) as queue:
            yield queue


def encode(event: Event) -> str:
    return json.dumps(event, separators=(",", ":"), sort_keys=True)


def decode(raw: str | bytes) -> Event | None:
    with contextlib.suppress(ValueError):
        value = json.loads(raw)
        if isinstance(value, dict):
            return value
    return None
