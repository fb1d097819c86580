"""What the app's lifespan starts and stops besides the ORM: the event bus, the mail and
webhook workers, the embedded SMTP server, and the throttle's storage."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging

from carepath.events.bus import EventBus, InMemoryBus
from carepath.notifications.delivery import MailWorker
from carepath.notifications.mailsink import EmbeddedMailSink, free_port
from carepath.services.throttle import Throttle
from carepath.services.webhook_delivery import WebhookWorker
from carepath.settings import Settings

log = logging.getLogger(__name__)
RECORD_SECONDS = 5  # to record an attempt that was under way when the worker was stopped
IDLE_STOP_SECONDS = 1  # a worker between attempts: only its poll query to give up


def freeze_startup_objects() -> None:
    """What is alive once the app has started (schema, ORM metadata, compiled caches)
    lives as long as the process: frozen out of the collector's generations, so that the
    collections a request's garbage triggers stop walking it (gc.freeze, as in bench.limit)."""
    gc.collect()
    gc.freeze()


class Runtime:
    """What the lifespan starts and stops: event bus, mail and webhook workers, embedded
    SMTP server."""

    def __init__(self, settings: Settings, bus: EventBus, run_mail_worker: bool) -> None:
        self.settings = settings
        self.bus = bus
        self.run_mail_worker = run_mail_worker
        self.throttle = Throttle(settings)
        self.sink: EmbeddedMailSink | None = None
        self.worker: MailWorker | None = None
        self._worker_task: asyncio.Task[None] | None = None
        self.webhooks: WebhookWorker | None = None
        self._webhook_task: asyncio.Task[None] | None = None

    def wake_mail(self) -> None:
        """After a mutation: mail and webhook deliveries it queued go out at once."""
        if self.worker is not None:
            self.worker.wake()
        if self.webhooks is not None:
            self.webhooks.wake()

    async def start(self) -> None:
        await self.bus.start()
        if not self.run_mail_worker:
            return
        smtp_url = self.settings.smtp_url
        if smtp_url is None:
            self.sink = start_embedded_sink(self.settings)
            smtp_url = self.sink.url
        self.worker = mail_worker(self.settings, smtp_url)
        self.start_mail_worker()
        if self.settings.webhook_worker_in_serve:
            self.webhooks = WebhookWorker(self.settings, wake_mail=self.worker.wake)
            self._webhook_task = asyncio.create_task(
                self.webhooks.run_forever(), name="webhook-worker"
            )

    def start_mail_worker(self) -> None:
        if self.worker is not None and self._worker_task is None:
            self._worker_task = asyncio.create_task(self.worker.run_forever(), name="mail-worker")

    async def stop_mail_worker(self) -> None:
        """Stops after the delivery in progress, if any, is finished and recorded."""
        task, self._worker_task = self._worker_task, None
        busy = self.worker is not None and self.worker.delivering
        await _stop(task, "mail worker", self.settings.smtp_timeout_seconds if busy else None)

    async def stop(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        busy = self.webhooks is not None and self.webhooks.delivering
        await _stop(task, "webhook worker", self.settings.webhook_timeout_seconds if busy else None)
        await self.stop_mail_worker()
        if self.sink is not None:
            self.sink.stop()
        await self.bus.stop()
        await self.throttle.close()


async def _stop(task: asyncio.Task[None] | None, name: str, attempt_seconds: float | None) -> None:
    """Cancels a worker and waits for the attempt it shields, if one is under way (its
    timeout, then a few seconds to record it); otherwise only briefly. Never for ever: a
    database that stopped answering must not hold the process after SIGTERM."""
    if task is None:
        return
    task.cancel()
    within = IDLE_STOP_SECONDS if attempt_seconds is None else attempt_seconds + RECORD_SECONDS
    try:
        async with asyncio.timeout(within):
            with contextlib.suppress(asyncio.CancelledError):
                await task
    except TimeoutError:
        log.warning("%s did not stop within %.0f s; leaving it", name, within)


def start_embedded_sink(settings: Settings) -> EmbeddedMailSink:
    """The embedded SMTP server on its usual port, or a free one if that is taken."""
    try:
        sink = EmbeddedMailSink(settings.mail_dir, port=settings.embedded_smtp_port)
        sink.start()
    except (OSError, RuntimeError):
        sink = EmbeddedMailSink(settings.mail_dir, port=free_port())
        sink.start()
    return sink


def mail_worker(settings: Settings, smtp_url: str) -> MailWorker:
    return MailWorker(
        smtp_url,
        settings.mail_from,
        timeout_seconds=settings.smtp_timeout_seconds,
        poll_seconds=settings.mail_poll_seconds,
        max_attempts=settings.mail_max_attempts,
    )


def make_bus(settings: Settings) -> EventBus:
    if settings.redis_url:
        from carepath.events.redis_bus import RedisBus

        return RedisBus(settings.redis_url, settings.channel_prefix)
    return InMemoryBus()
