"""The outbox delivery worker: SMTP with retries and backoff, dead letters on 5xx."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import unquote, urlsplit

import aiosmtplib

from carepath.clock import utcnow
from carepath.db import database_unavailable
from carepath.models import OutboxEmail
from carepath.models.enums import OutboxStatus

log = logging.getLogger(__name__)

BATCH_SIZE = 50
LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(minutes=30)


@dataclass(frozen=True)
class SmtpTarget:
    """Where mail goes, parsed from SMTP_URL (smtp://, smtp+starttls://, smtps://)."""

    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool | None = False

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://host:port")
        default_port = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[parts.scheme]
        return cls(
            hostname=parts.hostname,
            port=parts.port or default_port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls=parts.scheme == "smtp+starttls",
        )


async def requeue_dead_letters(*, dry_run: bool = False) -> list[OutboxEmail]:
    """Dead letters back to the queue with fresh attempts (after the cause, such as a
    refused sender or a full mailbox, has been fixed); `dry_run` only lists them."""
    dead = await OutboxEmail.filter(status=OutboxStatus.DEAD).order_by("id")
    if dry_run or not dead:
        return dead
    now = utcnow()
    await OutboxEmail.filter(id__in=[e.id for e in dead], status=OutboxStatus.DEAD).update(
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now
    )
    return dead


class TransientFailure(Exception):
    """Try again later: a 4xx reply, a timeout or no connection."""


class PermanentFailure(Exception):
    """Do not try again: a 5xx reply."""


def build_message(entry: OutboxEmail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = entry.to_address
    message["Subject"] = entry.subject
    message["Date"] = format_datetime(entry.created_at)
    # Stable per outbox entry, so a receiver can drop a duplicate after an ambiguous failure.
    message["Message-ID"] = (
        f"<outbox-{entry.id}.{int(entry.created_at.timestamp())}@carepath.local>"
    )
    message["X-Carepath-Kind"] = entry.kind
    # 8bit keeps links readable in the stored .eml files (no quoted-printable wrapping).
    message.set_content(entry.body_text, cte="8bit")
    for attachment in entry.attachments or []:
        maintype, _, subtype = attachment["content_type"].partition("/")
        message.add_attachment(
            attachment["content"].encode(),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
        )
    return message


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... capped at 30 minutes."""
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class MailWorker:
    def __init__(
        self,
        smtp_url: str,
        sender: str,
        *,
        timeout_seconds: float = 10,
        poll_seconds: float = 1.0,
        max_attempts: int = 12,
    ) -> None:
        self.target = SmtpTarget.from_url(smtp_url)
        self.sender = sender
        self.timeout_seconds = timeout_seconds
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self._wakeup = asyncio.Event()
        self.delivering = False  # a delivery is under way: stopping waits for it

    def wake(self) -> None:
        """Ask for a delivery pass now, e.g. right after a transaction queued mail."""
        self._wakeup.set()

    async def run_forever(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not database_unavailable(error):
                    log.exception("mail delivery pass failed")
                else:  # a database restart: nothing to debug, the next pass retries
                    log.warning("mail delivery pass: database unavailable")
            self._wakeup.clear()
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow the
            # cancellation that stops the worker (measured: `make bench` hung on exit).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wakeup.wait()

    async def deliver_due(self, now: datetime | None = None) -> int:
        """One pass over due entries; returns how many were delivered."""
        now = now or utcnow()
        due = (
            await OutboxEmail.filter(
                status=OutboxStatus.PENDING, next_attempt_at__lte=now, send_after__lte=now
            )
            .order_by("next_attempt_at", "id")
            .limit(BATCH_SIZE)
        )
        delivered = 0
        for entry in due:
            if not await self._claim(entry, now):
                continue
            delivered += await self._deliver_to_the_end(entry)
        return delivered

    async def _deliver_to_the_end(self, entry: OutboxEmail) -> int:
        """A delivery once started is finished and recorded, even if the worker is being
        stopped (SIGTERM): cancelled between the SMTP server's acceptance and the SENT
        mark, the entry would be sent again by the next worker. Bounded by the SMTP timeout.
        """
        delivery = asyncio.ensure_future(self._deliver(entry))
        self.delivering = True
        try:
            return await asyncio.shield(delivery)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await delivery
            raise
        finally:
            self.delivering = False

    async def _claim(self, entry: OutboxEmail, now: datetime) -> bool:
        """Lease the entry so another worker process does not send it at the same time."""
        claimed = await OutboxEmail.filter(
            id=entry.id, status=OutboxStatus.PENDING, next_attempt_at=entry.next_attempt_at
        ).update(next_attempt_at=now + LEASE)
        return claimed == 1

    async def _deliver(self, entry: OutboxEmail) -> int:
        try:
            await self._send(build_message(entry, self.sender))
        except PermanentFailure as exc:
            await self._record_failure(entry, str(exc), dead=True)
            return 0
        except TransientFailure as exc:
            dead = entry.attempts + 1 >= self.max_attempts
            await self._record_failure(entry, str(exc), dead=dead)
            return 0
        await OutboxEmail.filter(id=entry.id).update(
            status=OutboxStatus.SENT, sent_at=utcnow(), attempts=entry.attempts + 1
        )
        log.info("mail sent: outbox entry %s (%s)", entry.id, entry.kind)
        return 1

    async def _record_failure(self, entry: OutboxEmail, reason: str, *, dead: bool) -> None:
        """Counts the attempt; a dead letter waits for `carepath mail requeue`."""
        attempts = entry.attempts + 1
        if dead:
            log.error("mail dead-lettered: outbox entry %s after %s attempts", entry.id, attempts)
            await OutboxEmail.filter(id=entry.id).update(
                status=OutboxStatus.DEAD, attempts=attempts, last_error=reason[:500]
            )
            return
        retry_at = utcnow() + backoff(attempts)
        log.warning("mail delayed: outbox entry %s, attempt %s: %s", entry.id, attempts, reason)
        await OutboxEmail.filter(id=entry.id).update(
            attempts=attempts, next_attempt_at=retry_at, last_error=reason[:500]
        )

    async def _send(self, message: EmailMessage) -> None:
        target = self.target
        try:
            await aiosmtplib.send(
                message,
                hostname=target.hostname,
                port=target.port,
                username=target.username,
                password=target.password,
                use_tls=target.use_tls,
                start_tls=target.start_tls,
                timeout=self.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [refusal.code for refusal in exc.recipients]
            if all(500 <= code < 600 for code in codes):
                raise PermanentFailure(f"recipient refused ({codes})") from exc
            raise TransientFailure(f"recipient deferred ({codes})") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise PermanentFailure(f"SMTP {exc.code}") from exc
            raise TransientFailure(f"SMTP {exc.code}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientFailure(type(exc).__name__) from exc
