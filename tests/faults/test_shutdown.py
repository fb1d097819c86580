"""SIGTERM, as a deployment or an orchestrator sends it: mail being delivered is delivered
once and recorded, requests in flight get their answers, and a stuck request cannot hold
the process past SHUTDOWN_GRACE_SECONDS."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from starlette.applications import Starlette

from carepath.models import OutboxEmail, User
from carepath.models.enums import OutboxStatus
from carepath.settings import Settings
from tests.factories import PASSWORD
from tests.faults.services import PostgresProxy
from tests.live import ServerProcess, post, start_process
from tests.support import RecordingHandler, SmtpServer

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

SIGN_UP = (
    """
mutation($email: String!) { signUp(input: {email: $email, password: "%s", fullName: "Pat Lee"}) {
  token errors { code } } }
"""
    % PASSWORD
)
EXIT_BOUND_SECONDS = 15.0


class SlowDataHandler(RecordingHandler):
    """Takes `delay` seconds to accept each message's DATA, and says when it has begun."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.receiving = threading.Event()  # set from the SMTP server's own thread

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.receiving.set()
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


async def _terminated(server: ServerProcess) -> float:
    """SIGTERM, then the seconds until the process has exited."""
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    await asyncio.to_thread(server.process.wait, 60)
    return time.monotonic() - started


async def _until(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture
async def local_mail_paused(app: Starlette) -> AsyncIterator[None]:
    """This test process's own app delivers mail too: it must not take the entries."""
    runtime = app.state.runtime
    await runtime.stop_mail_worker()
    yield
    runtime.start_mail_worker()


async def test_sigterm_mid_delivery_delivers_the_mail_once_and_records_it(
    postgres: Settings, local_mail_paused: None
) -> None:
    handler = SlowDataHandler(delay=3.0)
    smtp = SmtpServer(handler=handler)
    smtp.start()
    env = {"SMTP_URL": smtp.url, "SHUTDOWN_GRACE_SECONDS": "5"}
    first = await asyncio.to_thread(start_process, postgres, None, env, cli=True)
    try:
        await post(first.address, SIGN_UP, {"email": "pat@example.com"})
        await _until(handler.receiving.is_set, 10)
        exit_seconds = await _terminated(first)
        entry = await OutboxEmail.get(to_address="pat@example.com")
        assert entry.status == OutboxStatus.SENT
        # A later process delivers new mail and never sends that one again.
        second = await asyncio.to_thread(start_process, postgres, None, env)
        try:
            await post(second.address, SIGN_UP, {"email": "lee@example.com"})
            await _until(lambda: smtp.to("lee@example.com"), 15)
            await asyncio.sleep(1.5)  # another pass or two of its worker
        finally:
            await _terminated(second)
    finally:
        if first.process.poll() is None:
            first.process.kill()
        smtp.stop()
    received = [str(m["Message-ID"]) for m in smtp.to("pat@example.com")]
    print(f"sigterm mid-delivery: exited in {exit_seconds:.1f}s, received {len(received)}")
    assert exit_seconds < EXIT_BOUND_SECONDS
    assert first.process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
    assert received == [f"<outbox-{entry.id}.{int(entry.created_at.timestamp())}@carepath.local>"]
    assert (await OutboxEmail.get(id=entry.id)).status == OutboxStatus.SENT


async def test_sigterm_lets_every_request_in_flight_finish_with_its_answer(
    postgres: Settings,
) -> None:
    slow_hashing = {
        "ARGON2_TIME_COST": "8",
        "ARGON2_MEMORY_KIB": "65536",
        "ARGON2_PARALLELISM": "1",
    }
    # A grace longer than the requests need even on a busy machine: here they must finish.
    env = {**slow_hashing, "SHUTDOWN_GRACE_SECONDS": "40"}
    server = await asyncio.to_thread(start_process, postgres, None, env, cli=True)
    answered_at: list[float] = []

    async def sign_up(n: int) -> tuple[int, dict[str, Any]]:
        async with httpx.AsyncClient(base_url=f"http://{server.address}", timeout=30) as http:
            response = await http.post(
                "/graphql", json={"query": SIGN_UP, "variables": {"email": f"u{n}@example.com"}}
            )
        answered_at.append(time.monotonic())
        return response.status_code, response.json()

    try:
        requests = [asyncio.create_task(sign_up(n)) for n in range(8)]
        await asyncio.sleep(0.4)  # all sent, hashing under way
        signalled = time.monotonic()
        exit_seconds = await _terminated(server)
        answers = await asyncio.gather(*requests)
    finally:
        if server.process.poll() is None:
            server.process.kill()
    after_signal = sum(1 for at in answered_at if at > signalled)
    print(
        f"graceful shutdown: {after_signal} of 8 answered after SIGTERM, exit {exit_seconds:.1f}s"
    )
    assert after_signal >= 3, "too few requests were still in flight to mean anything"
    assert [status for status, _ in answers] == [200] * 8
    assert [body["data"]["signUp"]["errors"] for _, body in answers] == [[]] * 8
    assert await User.filter(email_key__startswith="u").count() == 8
    # Out as soon as the last answer is, not at the grace's end.
    assert exit_seconds < max(answered_at) - signalled + 5
    assert server.process.returncode in (0, -signal.SIGTERM)


async def test_a_request_stuck_on_the_database_cannot_hold_shutdown_past_the_grace(
    postgres: Settings,
) -> None:
    parts = urlsplit(postgres.database_url)
    proxy = PostgresProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.start()
    user = f"{parts.username}@" if parts.username else ""
    url = urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{proxy.port}"))
    env = {"DATABASE_URL": url, "SHUTDOWN_GRACE_SECONDS": "2"}
    server = await asyncio.to_thread(start_process, postgres, None, env, cli=True)
    try:
        proxy.freeze()
        stuck = asyncio.create_task(post(server.address, SIGN_UP, {"email": "stuck@example.com"}))
        await asyncio.sleep(0.5)
        exit_seconds = await asyncio.wait_for(_terminated(server), 60)
    finally:
        if server.process.poll() is None:
            server.process.kill()
        await proxy.stop()
    with pytest.raises(httpx.HTTPError):
        await stuck  # cut off, since it could not finish: its client may retry elsewhere
    print(f"stuck request: process exited {exit_seconds:.1f}s after SIGTERM")
    # The grace, then closing a pool whose connections hang (Tortoise waits 10 s at most).
    assert exit_seconds < 2 + 10 + 5
