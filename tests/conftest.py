"""One app per test session on a fresh database (SQLite, or PostgreSQL via DATABASE_URL),
a real SMTP server, and a clean database for every test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette
from tortoise import connections

from carepath.app import create_app
from carepath.settings import Settings
from tests.support import Api, SmtpServer

TEST_SECRET = "test-secret-key-with-at-least-32-characters"
# argon2id at its cheapest: the suite signs up and logs in hundreds of times.
CHEAP_PASSWORD_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 8, "argon2_parallelism": 1}


# Marker -> the variable that lets its tests run; .ci/run sets both, `make test` neither.
OPT_IN = {
    "slow": "CAREPATH_SLOW_TESTS",  # a wheel build installed in a fresh venv
    "soak": "CAREPATH_SOAK",  # hundreds of sockets
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow and soak tests run in .ci/run, so that `make test` stays quick."""
    for marker, variable in OPT_IN.items():
        if os.environ.get(variable) == "1":
            continue
        skip = pytest.mark.skip(reason=f"{marker}: runs with {variable}=1, as .ci/run sets it")
        for item in items:
            if marker in item.keywords:
                item.add_marker(skip)


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "asyncpg://", "postgresql://")) else None


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A database of its own for this session, dropped at the end on PostgreSQL."""
    base = _postgres_url()
    if base is None:
        yield f"sqlite://{tmp_path_factory.mktemp('db') / 'carepath.db'}"
        return
    name = f"carepath_test_{uuid.uuid4().hex[:10]}"
    admin_dsn = base.replace("asyncpg://", "postgres://")
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield base.rsplit("/", 1)[0] + "/" + name
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(scope="session")
def settings(
    database_url: str, smtp_server: SmtpServer, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        secret_key=TEST_SECRET,
        database_url=database_url,
        smtp_url=smtp_server.url,
        mail_dir=Path(tmp_path_factory.mktemp("mail")),
        mail_poll_seconds=0.05,
        public_base_url="https://app.carepath.test",
        public_api_url="https://api.carepath.test",
        smtp_timeout_seconds=2,
        session_recheck_seconds=30,
        **CHEAP_PASSWORD_HASHING,
        sign_ups_per_address=100_000,  # the whole suite signs up from one address
        webhook_worker_in_serve=False,  # webhook tests drive their own worker, pass by pass
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(autouse=True)
async def clean_database(
    app: Starlette, settings: Settings, smtp_server: SmtpServer
) -> AsyncIterator[None]:
    yield
    await wipe(settings)
    smtp_server.handler.messages.clear()
    smtp_server.handler.reply = None
    if smtp_server.controller is None:
        smtp_server.start()


async def wipe(settings: Settings) -> None:
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
        if not settings.is_sqlite
        else "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    tables = [r["name"] for r in rows if r["name"] != "tortoise_migrations"]
    if settings.is_sqlite:
        # The PHI access log's append-only triggers (migration 0004) refuse DELETE: drop
        # them for the wipe and put back the very statements SQLite stored.
        triggers = await conn.execute_query_dict(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            " AND tbl_name = 'phi_access_events'"
        )
        await conn.execute_script(
            "PRAGMA foreign_keys = OFF;"
            + "".join(f'DROP TRIGGER "{t["name"]}";' for t in triggers)
            + "".join(f'DELETE FROM "{t}";' for t in tables)
            + "".join(f"{t['sql']};" for t in triggers)
            + "PRAGMA foreign_keys = ON;"
        )
    else:
        # The test role is a superuser: in replica mode ordinary triggers, the log's
        # append-only one included, do not fire, for this one transaction only.
        await conn.execute_script(
            "BEGIN; SET LOCAL session_replication_role = replica; TRUNCATE "
            + ", ".join(f'"{t}"' for t in tables)
            + " RESTART IDENTITY CASCADE; COMMIT;"
        )


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def api(http: httpx.AsyncClient, settings: Settings) -> Api:
    return Api(http, settings)
