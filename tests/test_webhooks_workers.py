"""Webhooks are sent by the worker inside `carepath serve` and by `carepath worker`
processes; two worker processes on one PostgreSQL send each event once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from carepath.models import WebhookDelivery
from carepath.models.enums import WebhookDeliveryStatus
from carepath.settings import Settings
from tests.live import start_process
from tests.support import Api
from tests.test_webhooks_faults import queued_events
from tests.webhook_steps import Receiver, a_booking, a_hooked_practice, receiver

__all__ = ["receiver"]  # fixture

QUICK = {"WEBHOOK_POLL_SECONDS": "0.1", "WEBHOOK_RETRY_SCHEDULE": "0,0"}


async def all_succeeded(count: int, timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while await WebhookDelivery.filter(status=WebhookDeliveryStatus.SUCCEEDED).count() < count:
            await asyncio.sleep(0.05)


@pytest.fixture
def worker_processes(settings: Settings) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two `carepath worker` processes on the test database, mail server and secret."""
    if settings.is_sqlite:
        pytest.skip("needs PostgreSQL: two processes writing one SQLite file race on its lock")
    env = {
        **os.environ,
        **QUICK,
        "DATABASE_URL": settings.database_url,
        "SMTP_URL": settings.smtp_url or "",
        "SECRET_KEY": settings.secret_key,
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "carepath.cli", "worker"]
    processes = [subprocess.Popen(command, env=env) for _ in range(2)]
    yield processes
    for process in processes:
        process.terminate()
        process.wait(10)


async def test_carepath_serve_sends_webhooks_from_its_own_worker(
    api: Api, receiver: Receiver, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in QUICK.items():
        monkeypatch.setenv(name, value)
    server = start_process(settings, None)
    try:
        practice, hook = await a_hooked_practice(api, receiver.url)
        await a_booking(api, practice)
        await all_succeeded(1)
    finally:
        server.process.terminate()
        server.process.wait(10)
    [got] = receiver.received
    assert got.verify(hook.secret)["type"] == "appointment.booked"


async def test_two_worker_processes_on_one_postgresql_send_each_event_once(
    api: Api,
    receiver: Receiver,
    settings: Settings,
    worker_processes: list[subprocess.Popen[bytes]],
) -> None:
    await a_hooked_practice(api, receiver.url)
    sent = await queued_events(30)
    await all_succeeded(30)
    await asyncio.sleep(0.5)  # a second send, if any, would have arrived by now
    assert all(p.poll() is None for p in worker_processes)
    assert sorted(r.id for r in receiver.received) == sorted(sent)
