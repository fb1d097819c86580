"""phiAccessLog: the PHI access log for staff (all of it) and group owners/admins (theirs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from carepath.models import enums
from carepath.schema.access import deny, facts
from carepath.schema.context import Info
from carepath.schema.errors import bad_user_input
from carepath.schema.ids import pk_of
from carepath.schema.pagination import Connection, Ordering, Page, paginate
from carepath.schema.types.phi_log import PhiAccessEvent, PhiAccessOutcome
from carepath.services import phi_log
from carepath.services.booking import as_utc
from carepath.services.errors import RuleViolation

NEWEST_FIRST = Ordering("occurred_at", descending=True)


@strawberry.type
class PhiLogQuery:
    @strawberry.field(
        description="Reads of clients' PHI by anyone but the client, and refused accesses, "
        "newest first. Staff see every row; a group's owner and admins the rows of what the "
        "group's providers and admins did (`groupId`: one of their groups). Anyone else: "
        "FORBIDDEN (UNAUTHENTICATED when signed out). `from` inclusive, `to` exclusive."
    )
    async def phi_access_log(
        self,
        info: Info,
        group_id: strawberry.ID | None = None,
        client_id: strawberry.ID | None = None,
        actor_id: strawberry.ID | None = None,
        outcome: PhiAccessOutcome | None = None,  # type: ignore[valid-type]
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PhiAccessEvent]:
        viewer = await facts(info)
        if not phi_log.may_read_log(viewer, None):
            deny(info)
        group_pk = _pk(group_id, "Group", "groupId")
        if not phi_log.may_read_log(viewer, group_pk):
            deny(info)
        by = phi_log.LogFilter(
            client_id=_pk(client_id, "Client", "clientId"),
            actor_id=_pk(actor_id, "User", "actorId"),
            outcome=enums.PhiAccessOutcome(outcome) if outcome is not None else None,
            start=_utc(from_, "from"),
            end=_utc(to, "to"),
        )
        return await paginate(
            phi_log.filtered(phi_log.readable_events(viewer, group_pk), by),
            Page(first, after, last, before),
            NEWEST_FIRST,
            lambda row: PhiAccessEvent(model=row),
        )


def _pk(global_id: strawberry.ID | None, type_name: str, argument: str) -> int | None:
    """A filter's id: absent is no filter; anything but an id of its type is refused."""
    if global_id is None:
        return None
    pk = pk_of(global_id, type_name)
    if pk is None:
        raise bad_user_input(f"`{argument}` is not a {type_name} id.")
    return pk


def _utc(value: datetime | None, argument: str) -> datetime | None:
    if value is None:
        return None
    try:
        return as_utc(value, argument)
    except RuleViolation as violation:
        raise bad_user_input(f"`{argument}`: {violation.message}") from violation
