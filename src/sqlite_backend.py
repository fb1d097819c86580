"""SQLite engine whose transactions start with BEGIN IMMEDIATE.

Tortoise's SQLite client serialises transactions inside one process with a lock, but a
deferred BEGIN lets two processes read the same free slot and only collide on write.
BEGIN IMMEDIATE takes the write lock up front, so a booking's read-check-write runs
alone across processes too (with busy_timeout making the other writer wait).
The module name contains "sqlite" because Tortoise's migration executor keys on it.

TIMESTAMP columns come back as datetimes, parsed by `datetime.fromisoformat` as SQLite
hands them over: Tortoise would otherwise parse every one with iso8601, which was a tenth
of an appointments page (a page of 50 holds ~450 timestamps with its clients and users).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

import aiosqlite
from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError


class ImmediateTransactionWrapper(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


def _timestamp(raw: bytes) -> datetime:
    """A TIMESTAMP as Tortoise writes it ("2026-05-14 08:22:47.123456+00:00")."""
    return datetime.fromisoformat(raw.decode())


# By declared column type, for connections opened with PARSE_DECLTYPES (ours): replaces
# the standard library's "timestamp" converter, which cannot read a UTC offset.
sqlite3.register_converter("TIMESTAMP", _timestamp)


class ImmediateSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)

    async def create_connection(self, with_db: bool) -> None:
        """As Tortoise's, with timestamps converted by their declared column type."""
        if not self._connection:
            self._connection = await aiosqlite.connect(
                self.filename, isolation_level=None, detect_types=sqlite3.PARSE_DECLTYPES
            )
            self._connection._conn.row_factory = sqlite3.Row
            for pragma, val in self.pragmas.items():
                cursor = await self._connection.execute(f"PRAGMA {pragma}={val}")
                await cursor.close()
            await self._post_connect()


client_class = ImmediateSqliteClient
