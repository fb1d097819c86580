"""Appointment connections with from/to, filtered to what the viewer may see."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from carepath.models import Appointment as AppointmentModel
from carepath.schema.access import facts
from carepath.schema.context import Info
from carepath.schema.errors import bad_user_input
from carepath.schema.pagination import Connection, Ordering, Page, paginate
from carepath.schema.types.scheduling import Appointment
from carepath.services import visibility
from carepath.services.booking import as_utc
from carepath.services.errors import RuleViolation


async def appointment_connection(
    info: Info,
    scope: Q,
    start: datetime | None,
    end: datetime | None,
    page: Page,
) -> Connection[Appointment]:
    """Appointments in `scope` that overlap [from, to), by start time."""
    viewer = await facts(info)
    queryset = AppointmentModel.filter(scope).filter(visibility.visible_appointments_filter(viewer))
    if start is not None:
        queryset = queryset.filter(ends_at__gt=_utc(start, "from"))
    if end is not None:
        queryset = queryset.filter(starts_at__lt=_utc(end, "to"))
    return await paginate(queryset, page, Ordering("starts_at"), lambda a: Appointment(model=a))


def _utc(value: datetime, argument: str) -> datetime:
    """A time without its offset is ambiguous: refused, as in availableSlots."""
    try:
        return as_utc(value, argument)
    except RuleViolation as violation:
        raise bad_user_input(f"`{argument}`: {violation.message}") from violation
