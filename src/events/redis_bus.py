"""Redis pub/sub backend: events cross server processes; local fan-out as in memory.

One connection per process pattern-subscribes to every Carepath channel, so subscribing
a local listener never talks to Redis; the listener reconnects with backoff.

Redis pub/sub has no replay: whatever is published while the listener is away is lost.
So when the listener loses its connection, and again once it is back, every local
listener gets the `interrupted` marker (events/bus.py) and catches up from the database.
The listener's connection never retries by itself (redis-py would otherwise reconnect
and resubscribe behind our back, and the gap would go unnoticed).

Redis pub/sub ignores the database number: every channel carries a prefix of its own
deployment (REDIS_CHANNEL_PREFIX), so two deployments on one server never hear each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import RedisError

from carepath.events.bus import Event, _Fanout, decode, encode

log = logging.getLogger(__name__)

# A publish is part of a mutation's answer: it may cost a little, never a hang.
CONNECT_TIMEOUT_SECONDS = 0.5
SOCKET_TIMEOUT_SECONDS = 2.0
PUBLISH_TIMEOUT_SECONDS = 2.0
# A pooled connection idle this long is PINGed before use: after a Redis restart the
# first publish on an old connection then reconnects instead of failing.
HEALTH_CHECK_SECONDS = 5
# One broken pooled connection costs one quick retry on a fresh one.
PUBLISH_RETRY = Retry(ExponentialBackoff(cap=0.2, base=0.05), retries=2)
LISTEN_POLL_SECONDS = 1.0
MAX_RECONNECT_DELAY = 2.0


class RedisBus:
    def __init__(self, url: str, prefix: str) -> None:
        self._client = redis.Redis.from_url(
            url,
            retry=PUBLISH_RETRY,
            health_check_interval=HEALTH_CHECK_SECONDS,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
        )
        # The listener's: it must see every loss. Also for publishing during an outage.
        self._client_once = redis.Redis.from_url(
            url,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=HEALTH_CHECK_SECONDS,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
        )
        self._prefix = prefix
        self._fanout = _Fanout()
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._lost = False  # events may have been missed since the last subscription

    @property
    def listening(self) -> bool:
        """Whether this process currently hears other processes' events."""
        return self._subscribed.is_set()

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
        await self._client_once.aclose()

    async def publish(self, channel: str, event: Event) -> None:
        """Never raises: the change behind the event has committed, and the database, not
        the bus, is the source of truth. Without Redis this process's own listeners still
        hear it, and every local listener is told that events may have been missed."""
        # While the listener is away Redis likely is too: one try, no retries, then local.
        client = self._client if self.listening else self._client_once
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
                await client.publish(self._prefix + channel, encode(event))
        except (RedisError, OSError, TimeoutError) as error:
            log.log(
                logging.DEBUG if self._lost else logging.WARNING,  # once per outage
                "redis publish failed on %s (%s); delivered in this process only",
                channel.split(":")[0],
                type(error).__name__,
            )
            self._fanout.deliver(channel, event)
            self._connection_lost()
            return
        if not self.listening:
            self._fanout.deliver(channel, event)  # our own listener will not hear it

    @contextlib.asynccontextmanager
    async def listen(self, channels: Iterable[str]) -> AsyncIterator[asyncio.Queue[Event]]:
        async with self._fanout.listening(channels) as queue:
            yield queue

    def _connection_lost(self) -> None:
        """Once per outage: local listeners hear that events may be missing."""
        if self._lost:
            return
        self._lost = True
        told = self._fanout.interrupt()
        log.warning("redis bus interrupted; %d local listener(s) told to catch up", told)

    def _connection_back(self) -> None:
        """Listeners that started during the outage missed events too: they are told."""
        self._subscribed.set()
        if self._lost:
            self._lost = False
            told = self._fanout.interrupt()
            log.warning("redis bus back; %d local listener(s) told to catch up", told)

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            pubsub = self._client_once.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self._prefix + "*")
                self._connection_back()
                delay = 0.1
                while not self._lost:  # a failed publish sets it: subscribe afresh
                    message = await pubsub.get_message(timeout=LISTEN_POLL_SECONDS)
                    if message is not None:
                        self._deliver(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a listener that dies would lose events silently
                self._subscribed.clear()
                self._connection_lost()
                log.warning(
                    "redis listener lost its connection (%s); retrying in %.1fs",
                    type(error).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RECONNECT_DELAY)
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
