"""An appointment as a list page reads it: plain columns, not a Tortoise model.

Hydrating 50 models (and Tortoise's per-field conversions) was a fifth of a provider's
appointments page; a slotted dataclass built from `values_list` costs a fraction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from carepath.models.enums import (
    AppointmentKind,
    AppointmentStatus,
    BillingType,
    BookedBy,
    Modality,
)


@dataclass(frozen=True, slots=True)
class AppointmentRow:
    """The columns the Appointment type and the visibility rules read, as Tortoise
    converts them (enums, UTC datetimes)."""

    id: int
    provider_id: int
    client_id: int
    group_id: int | None
    series_id: int | None
    kind: AppointmentKind
    modality: Modality
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus
    booked_by: BookedBy
    telehealth_location_id: int | None
    client_location_id: int | None
    billing_type: BillingType | None
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    cancellation_reason: str | None

    @property
    def pk(self) -> int:
        return self.id


COLUMNS = tuple(f.name for f in fields(AppointmentRow))
