"""Redis pub/sub backend: events cross server processes; local fan-out as in memory.

One connection per process pattern-subscribes to every Carepath channel, so subscribing
a local listener never talks to Redis; the listener reconnects with backoff.

Redis pub/sub ignores the database number: every channel carries a prefix of its own
deployment (REDIS_CHANNEL_PREFIX), so two deployments on one server never hear each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable

import redis.asyncio as redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from carepath.events.bus import Event, _Fanout, decode, encode

log = logging.getLogger(__name__)


class RedisBus:
    def __init__(self, url: str, prefix: str) -> None:
        self._client = redis.Redis.from_url(url)
        self._prefix = prefix
        self._fanout = _Fanout()
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        await self._client.ping()
        self._listener = asyncio.create_task(self._listen(), name="redis-bus-listener")
        async with asyncio.timeout(5):  # not wait_for, which may eat a cancel on 3.11
            await self._subscribed.wait()

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._client.aclose()

    async def publish(self, channel: str, event: Event) -> None:
        """Never raises: the change behind the event has committed, and the database, not
        the bus, is the source of truth. Without Redis this process's own listeners still
        hear it."""
        try:
            await self._client.publish(self._prefix + channel, encode(event))
        except (RedisError, OSError):
            log.warning(
                "redis publish failed on %s; delivered in this process only", channel.split(":")[0]
            )
            self._fanout.deliver(channel, event)

    @contextlib.asynccontextmanager
    async def listen(self, channels: Iterable[str]) -> AsyncIterator[asyncio.Queue[Event]]:
        async with self._fanout.listening(channels) as queue:
            yield queue

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self._prefix + "*")
                self._subscribed.set()
                delay = 0.1
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._deliver(message)
            except asyncio.CancelledError:
                raise
            except (RedisConnectionError, RedisTimeoutError, OSError):
                log.warning("redis listener lost its connection; retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _deliver(self, message: dict[str, object]) -> None:
        if message.get("type") != "pmessage":
            return
        channel = message.get("channel")
        channel = channel.decode() if isinstance(channel, bytes) else str(channel)
        data = message.get("data")
        event = decode(data) if isinstance(data, str | bytes) else None
        if event is not None and channel.startswith(self._prefix):
            self._fanout.deliver(channel[len(self._prefix) :], event)
