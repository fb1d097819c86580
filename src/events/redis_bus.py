"""Redis pub/sub backend: events cross server processes; local fan-out as in memory.

One Redis connection listens for every channel this process has subscribers on; the
listener reconnects with backoff, and the channels are re-subscribed on reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable

import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError

from carepath.events.bus import QUEUE_LIMIT, Event, _Fanout, decode, encode

log = logging.getLogger(__name__)
PREFIX = "carepath:"


class RedisBus:
    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url)
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        self._fanout = _Fanout()
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        await self._client.ping()
        self._listener = asyncio.create_task(self._listen(), name="redis-bus-listener")

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._client.aclose()

    async def publish(self, channel: str, event: Event) -> None:
        await self._client.publish(PREFIX + channel, encode(event))

    async def subscribe(self, channels: Iterable[str]) -> AsyncIterator[Event]:
        wanted = list(channels)
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_LIMIT)
        new = [c for c in wanted if c not in self._fanout.channels]
        self._fanout.add(wanted, queue)
        try:
            if new:
                await self._pubsub.subscribe(*(PREFIX + c for c in new))
                self._ready.set()
            while True:
                yield await queue.get()
        finally:
            emptied = self._fanout.remove(wanted, queue)
            if emptied:
                with contextlib.suppress(RedisConnectionError, RuntimeError):
                    await self._pubsub.unsubscribe(*(PREFIX + c for c in emptied))

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            try:
                await self._ready.wait()
                message = await self._pubsub.get_message(timeout=1.0)
                delay = 0.1
                if message is None or message.get("type") != "message":
                    continue
                channel = message["channel"]
                channel = channel.decode() if isinstance(channel, bytes) else channel
                event = decode(message["data"])
                if event is not None and channel.startswith(PREFIX):
                    self._fanout.deliver(channel[len(PREFIX) :], event)
            except asyncio.CancelledError:
                raise
            except (RedisConnectionError, OSError):
                log.warning("redis listener lost its connection; retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                await self._resubscribe()

    async def _resubscribe(self) -> None:
        channels = self._fanout.channels
        if channels:
            with contextlib.suppress(RedisConnectionError, OSError):
                await self._pubsub.subscribe(*(PREFIX + c for c in channels))
