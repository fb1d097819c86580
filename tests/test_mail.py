"""The outbox: mail written with the change, delivered over real SMTP, retried, never twice."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette

from carepath.clock import utcnow
from carepath.models import OutboxEmail
from carepath.models.enums import OutboxStatus
from carepath.runtime import mail_worker
from carepath.settings import Settings
from tests.factories import sign_up
from tests.support import Api, SmtpServer

REQUEST_RESET = """
mutation Reset($email: String!) { requestPasswordReset(input: {email: $email}) { ok } }
"""


def wake(app: Starlette) -> None:
    app.state.runtime.wake_mail()


async def wait_until(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_mail_waits_out_an_smtp_outage_and_arrives_once(
    api: Api, app: Starlette, smtp_server: SmtpServer
) -> None:
    smtp_server.stop()
    account = await sign_up(api, "outage@example.com", verified=False)
    assert account.token  # the mutation succeeded despite the outage

    async def attempted() -> bool:
        entry = await OutboxEmail.get(to_address="outage@example.com")
        return entry.attempts >= 1

    await wait_until(attempted)
    entry = await OutboxEmail.get(to_address="outage@example.com")
    assert entry.status == OutboxStatus.PENDING and entry.next_attempt_at > utcnow()
    assert smtp_server.to("outage@example.com") == []

    smtp_server.start()
    # Time passes: the retry is due now.
    await OutboxEmail.filter(id=entry.id).update(next_attempt_at=utcnow())
    wake(app)
    await smtp_server.wait_for("outage@example.com")
    await asyncio.sleep(0.3)  # several more worker passes
    assert len(smtp_server.to("outage@example.com")) == 1
    sent = await OutboxEmail.get(id=entry.id)
    assert sent.status == OutboxStatus.SENT and sent.sent_at is not None


async def test_temporary_refusal_is_retried(
    api: Api, app: Starlette, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.reply = "451 4.3.0 try again later"
    await sign_up(api, "busy@example.com", verified=False)

    async def deferred() -> bool:
        return (await OutboxEmail.get(to_address="busy@example.com")).attempts >= 1

    await wait_until(deferred)
    entry = await OutboxEmail.get(to_address="busy@example.com")
    assert entry.status == OutboxStatus.PENDING
    smtp_server.handler.reply = None
    await OutboxEmail.filter(id=entry.id).update(next_attempt_at=utcnow())
    wake(app)
    await smtp_server.wait_for("busy@example.com")


async def test_permanent_refusal_is_dead_lettered(api: Api, smtp_server: SmtpServer) -> None:
    smtp_server.handler.reply = "550 5.1.1 no such mailbox"
    await sign_up(api, "gone@example.com", verified=False)

    async def dead() -> bool:
        return (await OutboxEmail.get(to_address="gone@example.com")).status == OutboxStatus.DEAD

    await wait_until(dead)
    entry = await OutboxEmail.get(to_address="gone@example.com")
    assert entry.attempts == 1 and entry.last_error


async def test_two_workers_never_send_one_entry_twice(
    api: Api, settings: Settings, smtp_server: SmtpServer
) -> None:
    smtp_server.stop()
    for n in range(10):
        await api.data(REQUEST_RESET, {"email": f"nobody{n}@example.com"})
        await sign_up(api, f"pair{n}@example.com", verified=False)
    await OutboxEmail.all().update(next_attempt_at=utcnow(), attempts=0)
    smtp_server.start()
    second = mail_worker(settings, smtp_server.url)
    # The app's own worker and a second one race over the same ten entries.
    await asyncio.gather(*(second.deliver_due() for _ in range(3)))
    for n in range(10):
        await smtp_server.wait_for(f"pair{n}@example.com")
    await asyncio.sleep(0.3)
    assert len(smtp_server.messages) == 10
    assert await OutboxEmail.filter(status=OutboxStatus.SENT).count() == 10


async def test_refused_mutation_leaves_no_mail(api: Api) -> None:
    await sign_up(api, "first@example.com", verified=False)
    await OutboxEmail.all().delete()
    from tests.test_accounts import SIGN_UP

    result = await api.data(
        SIGN_UP, {"input": {"email": "first@example.com", "password": "x" * 20, "fullName": "X"}}
    )
    assert result["signUp"]["errors"][0]["code"] == "EMAIL_TAKEN"
    assert await OutboxEmail.all().count() == 0


async def test_a_worker_stops_when_asked_whatever_it_was_doing(
    api: Api, settings: Settings, smtp_server: SmtpServer
) -> None:
    """Cancelled between passes, mid-wait or right after being woken: it stops at once."""
    await sign_up(api, "waiting@example.com", verified=False)
    for n in range(20):
        worker = mail_worker(
            settings.with_overrides(mail_poll_seconds=0.01 * (n % 4)), smtp_server.url
        )
        task = asyncio.create_task(worker.run_forever())
        await asyncio.sleep(0.005 * n)
        worker.wake()
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=2)
        assert task in done, f"worker {n} went on after being cancelled"
