"""Counting the SQL statements a request sends, for real: every statement Tortoise's
database clients run goes through their `tortoise.db_client` debug log line first."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


@dataclass
class StatementLog(logging.Handler):
    """The statements seen while installed (their text only: values may be PHI)."""

    statements: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        logging.Handler.__init__(self, logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        text = args[0] if isinstance(args, tuple) and args else record.msg
        if isinstance(text, str) and text.lstrip().upper().startswith(SQL_VERBS):
            self.statements.append(text)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __hash__(self) -> int:
        return id(self)


@contextmanager
def counting_statements() -> Iterator[StatementLog]:
    logger = logging.getLogger("tortoise.db_client")
    log, level, propagate = StatementLog(), logger.level, logger.propagate
    logger.addHandler(log)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # counted, not printed
    try:
        yield log
    finally:
        logger.removeHandler(log)
        logger.setLevel(level)
        logger.propagate = propagate
