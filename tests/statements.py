"""Counting the SQL statements a request sends, for real: every statement Tortoise's
database clients run goes through their `tortoise.db_client` debug log line first.

Only statements sent from the counting task (and the tasks it starts, such as DataLoader
batches) count: the app's mail worker polls the outbox meanwhile in a task of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


@dataclass
class StatementLog:
    """The statements seen (their text only: values may be PHI)."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


_counting: ContextVar[StatementLog | None] = ContextVar("counting_statements", default=None)


class _Recorder(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log = _counting.get()
        if log is None:
            return
        args = record.args
        text = args[0] if isinstance(args, tuple) and args else record.msg
        if isinstance(text, str) and text.lstrip().upper().startswith(SQL_VERBS):
            log.statements.append(text)


@contextmanager
def counting_statements() -> Iterator[StatementLog]:
    logger = logging.getLogger("tortoise.db_client")
    recorder, log = _Recorder(logging.DEBUG), StatementLog()
    level, propagate = logger.level, logger.propagate
    logger.addHandler(recorder)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # counted, not printed
    token = _counting.set(log)
    try:
        yield log
    finally:
        _counting.reset(token)
        logger.removeHandler(recorder)
        logger.setLevel(level)
        logger.propagate = propagate
