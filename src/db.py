"""Database configuration: Tortoise config from the settings, migrations applied on start."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.exceptions import DBConnectionError
from tortoise.migrations.api import migrate

from carepath.settings import load_settings

log = logging.getLogger(__name__)

APP_LABEL = "carepath"
MODEL_MODULES = [
    "carepath.models.accounts",
    "carepath.models.practice",
    "carepath.models.clients",
    "carepath.models.scheduling",
    "carepath.models.messaging",
    "carepath.models.outbox",
    "carepath.models.webhooks",
]
SQLITE_BUSY_TIMEOUT_MS = 10_000
# The server cannot be reached or is going away: a restart, a failover, a network cut.
UNREACHABLE = (
    asyncpg.PostgresConnectionError,  # class 08, e.g. a connection closed mid-operation
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    DBConnectionError,
    ConnectionError,  # refused, reset, broken pipe
    TimeoutError,  # connecting took too long
)


def connection_config(database_url: str) -> dict[str, Any]:
    """Tortoise's view of DATABASE_URL; SQLite gets BEGIN IMMEDIATE and a busy timeout."""
    config: dict[str, Any] = expand_db_url(database_url)
    if config["engine"] == "tortoise.backends.sqlite":
        config["engine"] = "carepath.sqlite_backend"
        config["credentials"].setdefault("busy_timeout", SQLITE_BUSY_TIMEOUT_MS)
    return config


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(database_url)},
        "apps": {
            APP_LABEL: {
                "models": list(MODEL_MODULES),
                "default_connection": "default",
                "migrations": "carepath.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def ensure_sqlite_directory(database_url: str) -> None:
    """SQLite creates the file but not its folder (var/ on a fresh clone)."""
    config = connection_config(database_url)
    if config["engine"] != "carepath.sqlite_backend":
        return
    file_path = str(config["credentials"]["file_path"])
    if file_path != ":memory:":
        Path(file_path).parent.mkdir(parents=True, exist_ok=True)


def database_unavailable(error: BaseException) -> bool:
    """Whether the error (or what caused it) says the database could not be reached, as
    opposed to a fault in the request or in our code: the request may be tried again."""
    seen: BaseException | None = error
    for _ in range(6):
        if seen is None:
            return False
        if isinstance(seen, UNREACHABLE):
            return True
        if isinstance(seen, asyncpg.InterfaceError) and "closed" in str(seen):
            return True  # "the underlying connection is closed"
        seen = seen.__cause__ or seen.__context__
    return False


async def apply_migrations(config: dict[str, Any]) -> None:
    """Bring the schema up to date; every entry point (serve, worker, CLI, tests) calls it."""
    async with TortoiseContext():
        await migrate(config=config)
    log.info("database schema up to date")


def _cli_config() -> dict[str, Any]:
    settings = load_settings()
    ensure_sqlite_directory(settings.database_url)
    return tortoise_config(settings.database_url)


def __getattr__(name: str) -> Any:
    """`TORTOISE_ORM` for the `tortoise` command line ([tool.tortoise]), built on first use
    so that importing this module never reads the environment."""
    if name == "TORTOISE_ORM":
        return _cli_config()
    raise AttributeError(name)
