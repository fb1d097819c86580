"""The webhook delivery worker: signed POSTs, retries on WEBHOOK_RETRY_SCHEDULE, leases.

Each delivery is leased by a conditional UPDATE before its attempt, so two workers never
send it at once; an attempt once started is finished and recorded even if the worker is
being stopped. Endpoints are served concurrently (at most WEBHOOK_CONCURRENCY attempts in
flight) and each one's deliveries in turn, so a slow or dead receiver holds up only itself:
never mail, other endpoints or the API, which run beside it on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import cast

import httpx
from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from carepath.clock import utcnow
from carepath.models import GroupMembership, Provider, User, WebhookDelivery, WebhookEndpoint
from carepath.models.enums import WebhookDeliveryStatus
from carepath.notifications import outbox
from carepath.notifications.webhook_emails import endpoint_disabled_email
from carepath.services import webhook_secrets, webhook_urls
from carepath.services.webhooks import attempts_allowed
from carepath.settings import Settings

log = logging.getLogger(__name__)

ENDPOINTS_PER_PASS = 200
DELIVERIES_PER_ENDPOINT = 50
ROTATION_OVERLAP = timedelta(hours=24)
DISABLE_AFTER_DAYS = 5
USER_AGENT = "Carepath-Webhooks/1.0"


@dataclass(frozen=True)
class Outcome:
    """What one attempt got; `reason` is for logs and never holds the body."""

    succeeded: bool
    response_status: int | None
    reason: str


class WebhookWorker:
    def __init__(
        self,
        settings: Settings,
        *,
        verify: ssl.SSLContext | bool = True,
        wake_mail: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.timeout = settings.webhook_timeout_seconds
        self.lease = timedelta(seconds=self.timeout + 60)
        self.verify = verify
        self.wake_mail = wake_mail or (lambda: None)
        self._slots = asyncio.Semaphore(settings.webhook_concurrency)
        self._busy: dict[int, asyncio.Task[int]] = {}
        self._wakeup = asyncio.Event()
        self._client: httpx.AsyncClient | None = None

    @property
    def delivering(self) -> bool:
        """Attempts are under way: stopping waits for them to be recorded."""
        return bool(self._busy)

    def wake(self) -> None:
        """Ask for a pass now, e.g. right after a transaction queued deliveries."""
        self._wakeup.set()

    async def run_forever(self) -> None:
        try:
            while True:
                try:
                    await self.dispatch()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook dispatch failed")
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.webhook_poll_seconds):
                        await self._wakeup.wait()
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Waits for attempts in flight to be recorded (each bounded by the timeout)."""
        tasks = list(self._busy.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def deliver_due(self, now: datetime | None = None) -> int:
        """One pass awaited to its end: how many deliveries succeeded."""
        tasks = await self.dispatch(now)
        return sum(await asyncio.gather(*tasks))

    async def dispatch(self, now: datetime | None = None) -> list[asyncio.Task[int]]:
        """A task per endpoint with due deliveries, unless one already serves it."""
        at = now or utcnow()
        rows = (
            await self._due(at)
            .exclude(endpoint_id__in=list(self._busy) or [0])
            .distinct()
            .limit(ENDPOINTS_PER_PASS)
            .values_list("endpoint_id", flat=True)
        )
        started = []
        for endpoint_id in (int(cast(int, row)) for row in rows):
            task = asyncio.create_task(self._serve(endpoint_id, now))
            self._busy[endpoint_id] = task
            task.add_done_callback(partial(self._done, endpoint_id))
            started.append(task)
        return started

    def _done(self, endpoint_id: int, _: asyncio.Task[int]) -> None:
        self._busy.pop(endpoint_id, None)

    def _due(self, at: datetime) -> QuerySet[WebhookDelivery]:
        return WebhookDelivery.filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=at),
            status=WebhookDeliveryStatus.PENDING,
            next_attempt_at__lte=at,
            endpoint__enabled=True,
        )

    async def _serve(self, endpoint_id: int, now: datetime | None) -> int:
        """The endpoint's due deliveries in turn; stops if the endpoint is disabled. A failed
        pass is logged: its leased deliveries are tried again once the lease runs out."""
        try:
            return await self._serve_due(endpoint_id, now)
        except Exception:
            log.exception("webhook pass for endpoint %s failed", endpoint_id)
            return 0

    async def _serve_due(self, endpoint_id: int, now: datetime | None) -> int:
        at = now or utcnow()
        due = await (
            self._due(at)
            .filter(endpoint_id=endpoint_id)
            .order_by("next_attempt_at", "id")
            .limit(DELIVERIES_PER_ENDPOINT)
        )
        succeeded = 0
        for delivery in due:
            endpoint = await WebhookEndpoint.get_or_none(id=endpoint_id, enabled=True)
            if endpoint is None:
                break
            if not await self._claim(delivery, now or utcnow()):
                continue
            async with self._slots:
                succeeded += await self._to_the_end(endpoint, delivery, now)
        return succeeded

    async def _claim(self, delivery: WebhookDelivery, at: datetime) -> bool:
        """Lease the delivery so that no other worker sends it at the same time."""
        claimed = await WebhookDelivery.filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=at),
            id=delivery.id,
            status=WebhookDeliveryStatus.PENDING,
            next_attempt_at__lte=at,
        ).update(leased_until=at + self.lease)
        if claimed != 1:
            return False
        await delivery.refresh_from_db()
        return True

    async def _to_the_end(
        self, endpoint: WebhookEndpoint, delivery: WebhookDelivery, now: datetime | None
    ) -> int:
        """Cancelled between the receiver's answer and the record, the delivery would be
        sent again by the next worker: the attempt is shielded, bounded by the timeout."""
        work = asyncio.ensure_future(self._attempt_and_record(endpoint, delivery, now))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await work
            raise

    async def _attempt_and_record(
        self, endpoint: WebhookEndpoint, delivery: WebhookDelivery, now: datetime | None
    ) -> int:
        outcome = await self._attempt(endpoint, delivery)
        await self._record(endpoint, delivery, outcome, now or utcnow())
        log.info(
            "webhook delivery %s (%s) to endpoint %s: attempt %s, %s",
            delivery.id,
            delivery.event_type,
            endpoint.id,
            delivery.attempts + 1,
            outcome.reason,
        )
        return int(outcome.succeeded)

    def _secrets(self, endpoint: WebhookEndpoint) -> list[str]:
        """The current secret, and for 24 hours after a rotation the previous one after it."""
        key = self.settings.secret_key
        secrets = [webhook_secrets.decrypt(key, endpoint.secret_encrypted)]
        rotated = endpoint.secret_rotated_at
        previous = endpoint.previous_secret_encrypted
        if previous and rotated and utcnow() - rotated < ROTATION_OVERLAP:
            # Unreadable: rotated because SECRET_KEY changed, so the new secret signs alone.
            with contextlib.suppress(webhook_secrets.SecretUnreadable):
                secrets.append(webhook_secrets.decrypt(key, previous))
        return secrets

    async def _attempt(self, endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> Outcome:
        try:
            secrets = self._secrets(endpoint)
        except webhook_secrets.SecretUnreadable:
            log.error("webhook endpoint %s: secret unreadable (SECRET_KEY changed?)", endpoint.id)
            return Outcome(False, None, "secret unreadable: rotate the endpoint's secret")
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": delivery.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": webhook_secrets.signature_header(
                secrets, delivery.event_id, timestamp, delivery.payload
            ),
        }
        try:
            async with asyncio.timeout(self.timeout):
                status = await self._post(endpoint.url, delivery.payload.encode(), headers)
        except webhook_urls.RefusedAddress:
            return Outcome(False, None, "refused: the host resolves to an internal address")
        except TimeoutError:
            return Outcome(False, None, "timed out")
        except (httpx.HTTPError, OSError) as exc:
            return Outcome(False, None, type(exc).__name__)
        return Outcome(200 <= status < 300, status, f"HTTP {status}")

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POSTs to the address checked (never a second lookup an attacker could change),
        with the URL's host for Host, TLS SNI and certificate checks; no redirect followed."""
        target = httpx.URL(url)
        production = self.settings.is_production
        addresses = await webhook_urls.allowed_addresses(url, production=production)
        if not addresses:
            raise httpx.ConnectError(f"{target.host} does not resolve")
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        failure: httpx.ConnectError | None = None
        for address in addresses:
            try:
                async with self._http().stream(
                    "POST",
                    target.copy_with(host=str(address)),
                    content=body,
                    headers={**headers, "Host": target.netloc.decode("ascii")},
                    extensions=extensions,
                ) as response:
                    return response.status_code
            except httpx.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                timeout=httpx.Timeout(self.timeout),
                verify=self.verify,
                trust_env=False,
                limits=httpx.Limits(max_connections=self.settings.webhook_concurrency * 2),
            )
        return self._client

    async def _record(
        self, endpoint: WebhookEndpoint, delivery: WebhookDelivery, outcome: Outcome, at: datetime
    ) -> None:
        attempts = delivery.attempts + 1
        fields: dict[str, object] = {
            "attempts": attempts,
            "last_response_status": outcome.response_status,
            "last_attempt_at": at,
            "leased_until": None,
        }
        if outcome.succeeded:
            fields.update(status=WebhookDeliveryStatus.SUCCEEDED, next_attempt_at=None)
        elif attempts >= attempts_allowed(self.settings, delivery):
            fields.update(status=WebhookDeliveryStatus.FAILED, next_attempt_at=None)
        else:
            fields["next_attempt_at"] = at + timedelta(seconds=self._delay(attempts))
        async with in_transaction():
            updated = await WebhookDelivery.filter(
                id=delivery.id,
                attempts=delivery.attempts,
                attempts_allowed=delivery.attempts_allowed,
                status=WebhookDeliveryStatus.PENDING,
            ).update(**fields)
            if not updated:  # redelivered meanwhile: count the attempt, keep the new plan
                await WebhookDelivery.filter(id=delivery.id).update(
                    attempts=F("attempts") + 1,
                    last_response_status=outcome.response_status,
                    last_attempt_at=at,
                    leased_until=None,
                )
            await self._endpoint_health(endpoint, outcome.succeeded, at)

    def _delay(self, attempts: int) -> int:
        """The wait after the attempts-th attempt failed (the last delay repeats after a
        redelivery has added attempts)."""
        schedule = self.settings.webhook_retry_schedule or (0,)
        return schedule[min(attempts - 1, len(schedule) - 1)]

    async def _endpoint_health(
        self, endpoint: WebhookEndpoint, succeeded: bool, at: datetime
    ) -> None:
        """A success resets the failure clock; after 5 days of nothing but failures the
        endpoint is disabled and its owner emailed (once: the update is conditional)."""
        if succeeded:
            if endpoint.failing_since is not None:
                await WebhookEndpoint.filter(id=endpoint.id).update(failing_since=None)
            return
        if endpoint.failing_since is None:
            await WebhookEndpoint.filter(id=endpoint.id, failing_since=None).update(
                failing_since=at
            )
            return
        if at - endpoint.failing_since < timedelta(days=DISABLE_AFTER_DAYS):
            return
        disabled = await WebhookEndpoint.filter(id=endpoint.id, enabled=True).update(enabled=False)
        if disabled:
            log.warning(
                "webhook endpoint %s disabled after %s days of failures",
                endpoint.id,
                DISABLE_AFTER_DAYS,
            )
            for address in await owner_addresses(endpoint):
                await outbox.enqueue(
                    endpoint_disabled_email(address, endpoint.url, DISABLE_AFTER_DAYS)
                )
            self.wake_mail()


async def owner_addresses(endpoint: WebhookEndpoint) -> list[str]:
    """The provider's email, or the group owner's and admins'."""
    if endpoint.provider_id is not None:
        provider = await Provider.get(id=endpoint.provider_id)
        user_ids = [provider.user_id]
    else:
        memberships = await GroupMembership.filter(group_id=endpoint.group_id).order_by("id")
        user_ids = [m.user_id for m in memberships]
    users = await User.filter(id__in=user_ids).order_by("id")
    return [u.email for u in users]
