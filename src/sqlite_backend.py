"""SQLite engine whose transactions start with BEGIN IMMEDIATE.

Tortoise's SQLite client serialises transactions inside one process with a lock, but a
deferred BEGIN lets two processes read the same free slot and only collide on write.
BEGIN IMMEDIATE takes the write lock up front, so a booking's read-check-write runs
alone across processes too (with busy_timeout making the other writer wait).
The module name contains "sqlite" because Tortoise's migration executor keys on it.
"""

from __future__ import annotations

import sqlite3

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


class ImmediateSqliteClient(SqliteClient):
    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(ImmediateTransactionWrapper(self), self._lock)


client_class = ImmediateSqliteClient
