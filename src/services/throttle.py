"""Throttling of log-ins, sign-ups and password-reset emails, with the `limits` library.

Counters live in process memory, or in Redis when REDIS_URL is set so that every worker
shares them. Accounts are counted by a keyed digest of their email, so that no email sits
in Redis and an unknown email is counted exactly like a known one. A storage that fails
never turns a log-in into an internal error: the throttle then lets the attempt through
(fails open) and logs a warning, at most once a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from carepath.settings import Settings

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 1.0  # a slow Redis delays a log-in by this much at most, per call
WARNING_INTERVAL_SECONDS = 60.0
UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class ThrottleRules:
    login_account: RateLimitItem
    login_address: RateLimitItem
    reset_account: RateLimitItem
    reset_address: RateLimitItem
    sign_up_address: RateLimitItem

    @classmethod
    def of(cls, settings: Settings) -> ThrottleRules:
        login = settings.login_throttle_window_seconds
        reset = settings.password_reset_window_seconds
        return cls(
            login_account=RateLimitItemPerSecond(
                settings.login_attempts_per_account, login, namespace="login-account"
            ),
            login_address=RateLimitItemPerSecond(
                settings.login_attempts_per_address, login, namespace="login-address"
            ),
            reset_account=RateLimitItemPerSecond(
                settings.password_reset_emails_per_account, reset, namespace="reset-account"
            ),
            reset_address=RateLimitItemPerSecond(
                settings.password_reset_requests_per_address, reset, namespace="reset-address"
            ),
            sign_up_address=RateLimitItemPerSecond(
                settings.sign_ups_per_address,
                settings.sign_up_window_seconds,
                namespace="sign-up-address",
            ),
        )


class Throttle:
    """The questions the accounts service asks before a log-in or a reset email."""

    def __init__(self, settings: Settings) -> None:
        self._secret = settings.secret_key.encode()
        self._rules = ThrottleRules.of(settings)
        self._pool: ConnectionPool | None = None
        self._storage = self._make_storage(settings.redis_url, settings.channel_prefix)
        # A sliding-window counter: the moving window's memory storage fails in its own
        # expiry task when a key is cleared meanwhile (limits 5.8), and counters are cheaper.
        self._limiter = SlidingWindowCounterRateLimiter(self._storage)
        self._warned_at: float | None = None

    def _make_storage(self, redis_url: str | None, deployment_prefix: str) -> Storage:
        if not redis_url:
            return MemoryStorage()
        self._pool = ConnectionPool.from_url(
            redis_url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        return RedisStorage(
            "async+" + redis_url,
            wrap_exceptions=True,
            implementation="redispy",
            key_prefix=deployment_prefix + "throttle",  # deployments on one Redis stay apart
            connection_pool=self._pool,  # type: ignore[arg-type]  # ours, so that we close it
        )

    async def login_may_proceed(self, email_key: str, address: str | None) -> bool:
        """False once the address or the account has used up its failed attempts.

        The attempt is counted against the account before the password is checked, so
        that a burst of parallel guesses cannot all pass the check; a success clears it.
        """
        if not await self._ask(self._limiter.test(self._rules.login_address, _addr(address))):
            return False
        return await self._ask(self._limiter.hit(self._rules.login_account, self._id(email_key)))

    async def login_failed(self, address: str | None) -> None:
        """Only failures count against an address: many people may share one."""
        await self._ask(self._limiter.hit(self._rules.login_address, _addr(address)))

    async def login_succeeded(self, email_key: str) -> None:
        """The account's count is of failures since its last successful log-in."""
        await self._ask(self._clear(self._rules.login_account, self._id(email_key)))

    async def reset_email_may_be_sent(self, email_key: str, address: str | None) -> bool:
        """Counts the request against the address, then the email, known or not."""
        if not await self._ask(self._limiter.hit(self._rules.reset_address, _addr(address))):
            return False
        return await self._ask(self._limiter.hit(self._rules.reset_account, self._id(email_key)))

    async def sign_up_may_proceed(self, address: str | None) -> bool:
        """Each sign-up costs a password hash (CPU and memory) and an email: per address."""
        return await self._ask(self._limiter.hit(self._rules.sign_up_address, _addr(address)))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    def _id(self, email_key: str) -> str:
        return hmac.new(self._secret, email_key.encode(), hashlib.sha256).hexdigest()[:32]

    async def _clear(self, item: RateLimitItem, identifier: str) -> bool:
        await self._limiter.clear(item, identifier)
        return True

    async def _ask(self, question: Awaitable[bool]) -> bool:
        """The storage's answer, or True (let it through) when the storage fails."""
        try:
            return await question
        except (StorageError, RedisError, OSError, TimeoutError) as exc:
            now = time.monotonic()
            if self._warned_at is None or now - self._warned_at >= WARNING_INTERVAL_SECONDS:
                self._warned_at = now
                log.warning("throttle storage unavailable, not throttling: %s", type(exc).__name__)
            return True


def _addr(address: str | None) -> str:
    return address or UNKNOWN_ADDRESS
