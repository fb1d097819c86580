"""Appointment connections with from/to, filtered to what the viewer may see.

A page is read as plain column tuples into `AppointmentRow`s, not Tortoise models.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q

from carepath.models import Appointment as AppointmentModel
from carepath.schema.access import facts, prefetch_client_visibility
from carepath.schema.appointment_rows import COLUMNS, AppointmentRow
from carepath.schema.context import Info
from carepath.schema.errors import bad_user_input
from carepath.schema.pagination import (
    Connection,
    Ordering,
    Page,
    check_page,
    connection_of,
    cursor_bounds,
    fetch_order,
)
from carepath.schema.prefetch import load_all, selected_below
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
    check_page(page)
    ordering = Ordering("starts_at")
    for bound in cursor_bounds(page, ordering):
        if bound is not None:
            queryset = queryset.filter(bound)
    order, limit = fetch_order(page, ordering)
    values = await queryset.order_by(*order).limit(limit).values_list(*COLUMNS)
    rows = [AppointmentRow(*value) for value in values]
    await prefetch_page(info, rows)
    return connection_of(rows, page, ordering, lambda a: Appointment(model=a))


async def prefetch_page(info: Info, rows: list[AppointmentRow]) -> None:
    """What the page's selected fields will read, for all its rows at once (schema.prefetch):
    the same statements their loaders would run, without a coroutine per row."""
    if not rows:
        return
    selected = selected_below(info, "edges", "node")
    loaders = info.context.loaders
    if "provider" in selected:
        await load_all(loaders.provider_by_id, (row.provider_id for row in rows))
    if selected & {"telehealthLink", "telehealthInstructions"}:
        await load_all(loaders.telehealth_by_provider, (row.provider_id for row in rows))
    if "client" in selected:
        client_ids = [row.client_id for row in rows]
        clients = await loaders.client_by_id.load_many(client_ids)
        await prefetch_client_visibility(info, client_ids)
        if selected_below(info, "edges", "node", "client") & {"fullName", "email"}:
            await load_all(loaders.user_by_id, (c.user_id for c in clients if c is not None))


def _utc(value: datetime, argument: str) -> datetime:
    """A time without its offset is ambiguous: refused, as in availableSlots."""
    try:
        return as_utc(value, argument)
    except RuleViolation as violation:
        raise bad_user_input(f"`{argument}`: {violation.message}") from violation
