"""Apps of their own for security tests: small throttle limits, or production mode.

They share the session app's database and mail worker (no lifespan of their own), and
each test gets fresh ones, so counts never leak from one test into the next.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TypeVar

import httpx
import pytest
from starlette.applications import Starlette

from carepath.app import create_app
from carepath.settings import Settings
from tests.conftest import wipe
from tests.support import Api, SmtpServer

SMALL_LIMITS = {
    "login_attempts_per_account": 3,
    "login_attempts_per_address": 5,
    "password_reset_emails_per_account": 2,
    "password_reset_requests_per_address": 4,
}

ClientAt = Callable[[str], AbstractAsyncContextManager[Api]]
T = TypeVar("T")


def app_with(settings: Settings, **overrides: object) -> Starlette:
    """An app on the session's database; the session app's worker delivers its mail."""
    return create_app(settings.with_overrides(**overrides), run_mail_worker=False)


@asynccontextmanager
async def client_of(app: Starlette, address: str = "127.0.0.1") -> AsyncIterator[Api]:
    """A GraphQL client whose requests come from `address`."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield Api(http, app.state.runtime.settings)


@pytest.fixture
def throttled_app(app: Starlette, settings: Settings) -> Starlette:
    return app_with(settings, **SMALL_LIMITS)


@pytest.fixture
def client_at(throttled_app: Starlette) -> ClientAt:
    """client_at("203.0.113.7"): a client of the throttled app from that address."""
    return lambda address: client_of(throttled_app, address)


@pytest.fixture(scope="module")
async def module_api(app: Starlette) -> AsyncIterator[Api]:
    """One client for a module whose tests share one world, built once (tests that
    replace the per-test wipe with a no-op `clean_database` and wipe when done)."""
    async with client_of(app) as api:
        yield api


@asynccontextmanager
async def shared_world(
    build: Callable[[], Awaitable[T]], settings: Settings, smtp_server: SmtpServer
) -> AsyncIterator[T]:
    """A module's world: built once, wiped with its mail when the module is done."""
    try:
        yield await build()
    finally:
        await wipe(settings)
        smtp_server.handler.messages.clear()
