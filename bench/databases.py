"""Scratch databases for the bench: a SQLite file, or a PostgreSQL database of its own."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import redis

NAME = "carepath_bench"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def sqlite_database(scratch: Path) -> str:
    path = scratch / "bench.db"
    for leftover in scratch.glob("bench.db*"):
        leftover.unlink()
    return f"sqlite://{path}"


def postgres_server() -> str | None:
    """The server to bench on (its `postgres` database is used to create ours), if up."""
    url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_SERVER)
    admin = url.rsplit("/", 1)[0] + "/postgres"

    async def ping() -> bool:
        try:
            connection = await asyncpg.connect(admin, timeout=3)
        except (OSError, asyncpg.PostgresError):
            return False
        await connection.close()
        return True

    if not asyncio.run(ping()):
        print(f"PostgreSQL is not answering at {admin}: skipping its part")
        return None
    return admin


async def _admin(server: str, statement: str) -> None:
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def postgres_database(server: str) -> Iterator[str]:
    """A fresh `carepath_bench` database, dropped afterwards."""
    asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
    asyncio.run(_admin(server, f'CREATE DATABASE "{NAME}"'))
    try:
        yield server.rsplit("/", 1)[0] + "/" + NAME
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))


def redis_url() -> str | None:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError:
        print(f"Redis is not answering at {url}: skipping fan-out and workers")
        return None
    return url
