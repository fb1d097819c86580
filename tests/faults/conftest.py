"""Fault tests: real services stopped, cut off and signalled while Carepath works.

They run on PostgreSQL only (SQLite has no server to lose) and are not collected by
`make test`; `.ci/run` runs them with `pytest tests/faults`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from carepath.settings import Settings
from tests.faults.services import RedisServer


@pytest.fixture
def postgres(settings: Settings) -> Settings:
    """The test settings, when they name PostgreSQL; the test is skipped otherwise."""
    if settings.is_sqlite:
        pytest.skip("needs DATABASE_URL on PostgreSQL")
    return settings


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    """A redis-server of the test's own, which it may kill and start again."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs the redis-server binary")
    server = RedisServer()
    server.start()
    yield server
    server.kill()
