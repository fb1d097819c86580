"""The PHI access log: who read which client's PHI, and who was refused (HIPAA audit controls).

Fields and `node` note each access in the request's `PhiLog` (one per operation, in the
context); the log keeps one entry per object and outcome, and at the end of the operation
decides which are PHI accesses by someone other than the client (`is_phi_access`) and
writes them with one multi-row INSERT. A row never holds the PHI itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from carepath.clock import utcnow
from carepath.models import GroupMembership, PhiAccessEvent, Provider
from carepath.models.enums import PhiAccessOutcome, Role
from carepath.request_context import current_request_id, new_request_id
from carepath.services.actor import Actor, ActorFacts

log = logging.getLogger(__name__)

READ = "read"
ANONYMOUS = "ANONYMOUS"
REQUEST_ID_CHARS = 32  # phi_access_events.request_id
ROWS_PER_INSERT = 1000  # 11 parameters a row: far below PostgreSQL's and SQLite's limits
COLUMNS = (
    "occurred_at",
    "actor_id",
    "actor_roles",
    "action",
    "object_type",
    "object_id",
    "client_id",
    "outcome",
    "request_id",
    "operation_name",
)


@dataclass(frozen=True)
class PhiObject:
    """An object holding a client's PHI: its type (as the API names it), id, and whose it is
    (None when unknown, e.g. a refused mutation on an id that may not exist)."""

    type: str
    id: int
    client_id: int | None


def is_phi_access(facts: ActorFacts, client_id: int | None, outcome: PhiAccessOutcome) -> bool:
    """What the log records: every refusal, and every read but the client's own."""
    return outcome == PhiAccessOutcome.DENIED or facts.client_id != client_id


def actor_roles(actor: Actor, facts: ActorFacts) -> str:
    """The roles that can matter to an access: most accounts are clients too, so CLIENT
    only when it is the actor's only role ("" for an account with no role at all)."""
    if actor.is_anonymous:
        return ANONYMOUS
    roles = [role for role in facts.roles if role != Role.CLIENT] or facts.roles
    return ",".join(roles)


@dataclass(frozen=True)
class _Access:
    action: str
    obj: PhiObject
    outcome: PhiAccessOutcome
    at: datetime


class PhiLog:
    """One operation's PHI accesses, collected in memory and written once at its end."""

    def __init__(self) -> None:
        # The HTTP request's id (X-Request-Id), cut to the column's 32 characters; over
        # the WebSocket, where every operation has a log of its own, an id of its own.
        self.request_id = (current_request_id() or new_request_id())[:REQUEST_ID_CHARS]
        self._accesses: dict[tuple[str, str, int, PhiAccessOutcome], _Access] = {}

    def __len__(self) -> int:
        return len(self._accesses)

    def read(self, obj: PhiObject) -> None:
        self.note(READ, obj, PhiAccessOutcome.ALLOWED)

    def denied(self, obj: PhiObject, action: str = READ) -> None:
        self.note(action, obj, PhiAccessOutcome.DENIED)

    def note(self, action: str, obj: PhiObject, outcome: PhiAccessOutcome) -> None:
        """Once per (action, object, outcome): a field read twice is one access."""
        key = (action, obj.type, obj.id, outcome)
        if key not in self._accesses:
            self._accesses[key] = _Access(action, obj, outcome, utcnow())

    async def flush(self, actor: Actor, operation_name: str | None) -> int:
        """Writes what was collected (one INSERT) and empties the log; returns the row count.

        A failure is logged and swallowed: the answer has been computed and the caller is
        owed it; the error names the request id so that the gap can be found.
        """
        accesses, self._accesses = list(self._accesses.values()), {}
        if not accesses:
            return 0
        try:
            rows = await self._rows(actor, operation_name, accesses)
            await insert(rows)
        except Exception:
            log.exception(
                "PHI access log: %d access(es) of request %s not written",
                len(accesses),
                self.request_id,
            )
            return 0
        return len(rows)

    async def _rows(
        self, actor: Actor, operation_name: str | None, accesses: list[_Access]
    ) -> list[tuple[Any, ...]]:
        facts = await actor.facts()
        roles = actor_roles(actor, facts)
        name = operation_name[:100] if operation_name else None
        return [
            (
                a.at,
                actor.user_id,
                roles,
                a.action,
                a.obj.type,
                a.obj.id,
                a.obj.client_id,
                a.outcome.value,
                self.request_id,
                name,
            )
            for a in accesses
            if is_phi_access(facts, a.obj.client_id, a.outcome)
        ]


async def insert(rows: list[tuple[Any, ...]]) -> None:
    """One multi-row INSERT per ROWS_PER_INSERT rows (bulk_create would execute one
    statement per row)."""
    if not rows:
        return
    db = PhiAccessEvent._meta.db
    postgres = db.capabilities.dialect == "postgres"
    occurred_at = PhiAccessEvent._meta.fields_map["occurred_at"]
    columns = ", ".join(f'"{c}"' for c in COLUMNS)
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start : start + ROWS_PER_INSERT]
        values: list[Any] = []
        groups = []
        for row in chunk:
            # The other columns are ints and strings already; only the time needs the
            # ORM's conversion (Tortoise's per-value validation was most of this loop).
            values.append(occurred_at.to_db_value(row[0], PhiAccessEvent))
            values.extend(row[1:])
            if postgres:
                first = len(values) - len(COLUMNS) + 1
                marks = [f"${n}" for n in range(first, first + len(COLUMNS))]
            else:
                marks = ["?"] * len(COLUMNS)
            groups.append(f"({', '.join(marks)})")
        # Only constant column names and placeholders are interpolated; values are parameters.
        sql = f'INSERT INTO "phi_access_events" ({columns}) VALUES {", ".join(groups)}'  # noqa: S608
        await db.execute_query(sql, values)


# Reading the log.


def may_read_log(facts: ActorFacts, group_id: int | None) -> bool:
    """Staff read the whole log; a group's owner and admins their group's part of it."""
    if facts.is_staff:
        return True
    if group_id is not None:
        return group_id in facts.admin_group_ids
    return bool(facts.admin_group_ids)


def readable_events(facts: ActorFacts, group_id: int | None) -> QuerySet[PhiAccessEvent]:
    """The rows a reader allowed by `may_read_log` sees: a group's part is what the group's
    people did (its providers, archived ones included, and its owner and admins), so that
    a practice audits its own team without learning of care elsewhere."""
    if group_id is None and facts.is_staff:
        return PhiAccessEvent.all()
    groups = [group_id] if group_id is not None else sorted(facts.admin_group_ids)
    providers = Provider.filter(group_id__in=groups).values("user_id")
    admins = GroupMembership.filter(group_id__in=groups).values("user_id")
    return PhiAccessEvent.filter(
        Q(actor_id__in=Subquery(providers)) | Q(actor_id__in=Subquery(admins))
    )


@dataclass(frozen=True)
class LogFilter:
    """The reader's filters; times are UTC, `start` inclusive and `end` exclusive."""

    client_id: int | None = None
    actor_id: int | None = None
    outcome: PhiAccessOutcome | None = None
    start: datetime | None = None
    end: datetime | None = None


def filtered(events: QuerySet[PhiAccessEvent], by: LogFilter) -> QuerySet[PhiAccessEvent]:
    conditions: dict[str, Any] = {
        "client_id": by.client_id,
        "actor_id": by.actor_id,
        "outcome": by.outcome,
        "occurred_at__gte": by.start,
        "occurred_at__lt": by.end,
    }
    given = {key: value for key, value in conditions.items() if value is not None}
    return events.filter(**given) if given else events
