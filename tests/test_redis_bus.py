"""The Redis bus: deployments sharing one Redis server stay apart, and a publish that
cannot reach Redis never fails the change that caused it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from carepath.events.redis_bus import RedisBus
from carepath.notifications.mailsink import free_port
from carepath.settings import load_settings


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL")
    return url


@asynccontextmanager
async def running(bus: RedisBus) -> AsyncIterator[RedisBus]:
    await bus.start()
    try:
        yield bus
    finally:
        await bus.stop()


def prefix_for(redis_url: str, database_url: str) -> str:
    return load_settings({"REDIS_URL": redis_url, "DATABASE_URL": database_url}).channel_prefix


@pytest.mark.redis
async def test_deployments_on_other_databases_do_not_hear_each_other(redis_url: str) -> None:
    ours = prefix_for(redis_url, "postgres://pg:5432/practice_a")
    theirs = prefix_for(redis_url, "postgres://pg:5432/practice_b")
    assert ours != theirs
    async with (
        running(RedisBus(redis_url, ours)) as bus_a,
        running(RedisBus(redis_url, theirs)) as bus_b,
        running(RedisBus(redis_url, ours)) as bus_a2,
        bus_a.listen(["user:1"]) as heard_by_a,
    ):
        await bus_b.publish("user:1", {"type": "session_revoked", "session_id": None})
        await bus_a2.publish("user:1", {"type": "message", "message_id": 7})
        event = await asyncio.wait_for(heard_by_a.get(), 2)
        assert event == {"type": "message", "message_id": 7}
        await asyncio.sleep(0.2)
        assert heard_by_a.empty()


def test_the_redis_database_number_is_part_of_the_derived_prefix() -> None:
    db = "postgres://pg:5432/practice"
    assert prefix_for("redis://r:6379/0", db) != prefix_for("redis://r:6379/5", db)
    told = load_settings({"REDIS_URL": "redis://r:6379/0", "REDIS_CHANNEL_PREFIX": "clinic-a:"})
    assert told.channel_prefix == "clinic-a:"


async def test_a_publish_without_redis_reaches_this_process_and_does_not_raise() -> None:
    bus = RedisBus(f"redis://127.0.0.1:{free_port()}/0", "carepath:test:")  # nothing listens
    async with bus.listen(["user:9"]) as heard:
        await bus.publish("user:9", {"type": "message", "message_id": 1})
        assert heard.get_nowait() == {"type": "message", "message_id": 1}
    await bus.stop()
