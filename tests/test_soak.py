"""500 concurrent subscribers on one process: each gets its own events and no other's,
and tasks and memory return to baseline once they disconnect."""

from __future__ import annotations

import asyncio
import gc
import os
import tracemalloc
from contextlib import AsyncExitStack
from datetime import timedelta
from email.message import EmailMessage

import pytest
from starlette.applications import Starlette

from carepath.clock import utcnow
from carepath.models import Appointment, Client, Provider, User
from carepath.models.enums import AppointmentKind, AppointmentStatus, BookedBy, IntakeMode, Modality
from carepath.services import messaging
from carepath.services.accounts import _open_session
from carepath.services.actor import Actor
from carepath.services.messaging import Recipient
from carepath.settings import Settings
from tests.live import Subscriber, in_loop_server
from tests.support import SmtpServer

SUBSCRIBERS = int(os.environ.get("SOAK_SUBSCRIBERS", "500"))
ON_MESSAGE = "subscription { messageReceived { body } }"


async def _clients(settings: Settings, count: int) -> list[tuple[int, str]]:
    """(client pk, token) pairs, made directly: argon2 per account would dominate the test."""
    users = await User.bulk_create(
        [
            User(email=f"soak{n}@example.com", email_key=f"soak{n}@example.com",
                 password_hash="x", full_name=f"Soak {n}", email_verified_at=utcnow())
            for n in range(count)
        ]
    )  # fmt: skip
    users = await User.filter(email_key__startswith="soak").order_by("id")
    await Client.bulk_create([Client(user_id=u.id) for u in users])
    clients = {c.user_id: c.id for c in await Client.filter(user_id__in=[u.id for u in users])}
    return [(clients[u.id], (await _open_session(settings, u)).token) for u in users]


async def _provider(count: int, client_pks: list[int]) -> Actor:
    user = await User.create(email="p@example.com", email_key="p@example.com", password_hash="x",
                             full_name="Dr. Soak", email_verified_at=utcnow())  # fmt: skip
    provider = await Provider.create(
        user_id=user.id, display_name="Dr. Soak", booking_slug="dr-soak", time_zone="UTC",
        intake_mode=IntakeMode.FULL_SESSION,
    )  # fmt: skip
    start = utcnow() + timedelta(days=1)
    await Appointment.bulk_create(
        [
            Appointment(provider_id=provider.id, client_id=pk, kind=AppointmentKind.SESSION,
                        modality=Modality.IN_PERSON, booked_by=BookedBy.PROVIDER,
                        status=AppointmentStatus.SCHEDULED,
                        starts_at=start + timedelta(hours=n), ends_at=start + timedelta(hours=n, minutes=50))
            for n, pk in enumerate(client_pks)
        ]
    )  # fmt: skip
    return Actor(user=user)


async def _one_notice_each(smtp_server: SmtpServer, count: int) -> list[EmailMessage]:
    """The message-waiting notices, once every recipient has one."""
    for _ in range(300):
        notices = [m for m in smtp_server.messages if m["X-Carepath-Kind"] == "message_waiting"]
        if len(notices) >= count:
            return notices
        await asyncio.sleep(0.1)
    raise AssertionError(f"expected {count} notices, got {len(notices)}")


@pytest.mark.soak
async def test_five_hundred_subscribers_each_get_their_own_messages(
    app: Starlette, settings: Settings, smtp_server: SmtpServer
) -> None:
    clients = await _clients(settings, SUBSCRIBERS)
    provider = await _provider(SUBSCRIBERS, [pk for pk, _ in clients])
    bus = app.state.runtime.bus
    async with in_loop_server(app) as address:
        async with Subscriber.connect(address, clients[0][1]) as warmup:  # warm caches first
            assert await warmup.acknowledged()
        await asyncio.sleep(0.2)
        gc.collect()
        tracemalloc.start()
        baseline_memory = tracemalloc.get_traced_memory()[0]
        baseline_tasks = len(asyncio.all_tasks())

        async with AsyncExitStack() as stack:
            sockets = [
                await stack.enter_async_context(Subscriber.connect(address, token))
                for _, token in clients
            ]
            for socket in sockets:
                assert await socket.acknowledged()
                await socket.subscribe(ON_MESSAGE)
            await asyncio.sleep(0.5)
            for n, (client_pk, _) in enumerate(clients):
                await messaging.send_message(
                    provider,
                    settings,
                    bus.publish,
                    Recipient(client_id=client_pk, given=1),
                    f"for {n}",
                )
            for n, socket in enumerate(sockets):
                event = await socket.next(timeout=5)
                assert event["payload"]["data"]["messageReceived"]["body"] == f"for {n}"
            for socket in sockets[:50]:
                with pytest.raises(TimeoutError):
                    await socket.next(timeout=0.01)
            assert len(asyncio.all_tasks()) > baseline_tasks
        del sockets, socket, event  # the test's own references to the clients
        notices = await _one_notice_each(smtp_server, SUBSCRIBERS)
        assert sorted(str(m["To"]) for m in notices) == sorted(
            f"soak{n}@example.com" for n in range(SUBSCRIBERS)
        )
        del notices
        smtp_server.messages.clear()  # the test's inbox lives in this process too

        for _ in range(100):
            await asyncio.sleep(0.1)
            if len(asyncio.all_tasks()) <= baseline_tasks:
                break
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - baseline_memory
        if os.environ.get("SOAK_DEBUG"):
            for stat in tracemalloc.take_snapshot().statistics("lineno")[:15]:
                print(stat)
        tracemalloc.stop()
        print(f"\nsoak: {SUBSCRIBERS} subscribers, memory +{grown / 1e6:.2f} MB, "
              f"tasks {len(asyncio.all_tasks())} (baseline {baseline_tasks})")  # fmt: skip
        assert len(asyncio.all_tasks()) <= baseline_tasks
        assert grown < 5 * 1024 * 1024, f"memory grew by {grown / 1e6:.1f} MB"
        assert bus._fanout.channels == set()
