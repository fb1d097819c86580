"""Mail under faults: a worker stopped mid-delivery sends nothing twice, and dead letters
can be put back in the queue once their cause is fixed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from carepath.clock import utcnow
from carepath.models import OutboxEmail
from carepath.models.enums import OutboxStatus
from carepath.notifications import outbox
from carepath.notifications.delivery import requeue_dead_letters
from carepath.notifications.emails import EmailDraft
from carepath.runtime import mail_worker
from carepath.settings import Settings
from tests.factories import sign_up
from tests.support import Api, RecordingHandler, SmtpServer, deliver_due_mail
from tests.test_mail import wait_until


class SlowHandler(RecordingHandler):
    """Takes its time before accepting a message, and says when it has started."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.receiving = asyncio.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.receiving.set()
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


async def test_a_worker_stopped_mid_delivery_records_the_send_and_never_repeats_it(
    settings: Settings,
) -> None:
    later = utcnow() + timedelta(hours=2)  # due only for this test's workers, not the app's
    draft = EmailDraft(kind="test", to="slow@example.com", subject="Hello", body="Hello.")
    entry = await outbox.enqueue(draft, send_after=later - timedelta(hours=1))
    handler = SlowHandler(delay=0.5)
    slow = SmtpServer(handler=handler)
    slow.start()
    try:
        stopping = asyncio.create_task(mail_worker(settings, slow.url).deliver_due(now=later))
        await asyncio.wait_for(handler.receiving.wait(), 5)
        stopping.cancel()  # SIGTERM while the SMTP server is still taking the message
        await asyncio.wait({stopping}, timeout=5)
        assert stopping.cancelled()

        sent = await OutboxEmail.get(id=entry.id)
        assert sent.status == OutboxStatus.SENT and sent.sent_at is not None
        after_lease = later + timedelta(minutes=10)
        assert await mail_worker(settings, slow.url).deliver_due(now=after_lease) == 0
        assert len(slow.to("slow@example.com")) == 1
    finally:
        slow.stop()


async def test_a_dead_letter_is_requeued_and_delivered_once(
    api: Api, app: Starlette, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.reply = "550 5.7.1 sender refused"
    await sign_up(api, "bounced@example.com", verified=False)

    async def dead() -> bool:
        entry = await OutboxEmail.get(to_address="bounced@example.com")
        return entry.status == OutboxStatus.DEAD

    await wait_until(dead)
    listed = await requeue_dead_letters(dry_run=True)
    assert [e.to_address for e in listed] == ["bounced@example.com"]
    assert (await OutboxEmail.get(to_address="bounced@example.com")).status == OutboxStatus.DEAD

    smtp_server.handler.reply = None  # the cause is fixed
    assert len(await requeue_dead_letters()) == 1
    app.state.runtime.wake_mail()
    await smtp_server.wait_for("bounced@example.com")

    async def sent() -> bool:  # the worker records the delivery just after the server's 250
        entry = await OutboxEmail.get(to_address="bounced@example.com")
        return entry.status == OutboxStatus.SENT

    await wait_until(sent)
    await deliver_due_mail(app)  # a second delivery, were one due, would now have happened
    assert len(smtp_server.to("bounced@example.com")) == 1
    assert (await OutboxEmail.get(to_address="bounced@example.com")).attempts == 1
    assert await requeue_dead_letters(dry_run=True) == []


def test_mail_requeue_command_lists_without_changing_on_a_dry_run(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite://{tmp_path / 'cli.db'}", "LOG_LEVEL": "ERROR"}
    command = [sys.executable, "-m", "carepath.cli", "mail", "requeue", "--dry-run"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "would requeue 0 dead letter(s)" in done.stdout
