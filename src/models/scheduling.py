"""Appointments, recurring series and the payouts confirmed sessions create."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from carepath.models.clients import Client, ClientLocation
from carepath.models.enums import (
    AppointmentKind,
    AppointmentStatus,
    BillingType,
    BookedBy,
    Frequency,
    Modality,
    PayoutStatus,
)
from carepath.models.practice import Group, Provider, TelehealthLocation


class AppointmentSeries(Model):
    id = fields.IntField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "carepath.Provider", related_name="series", on_delete=fields.CASCADE
    )
    provider_id: int
    frequency = fields.CharEnumField(Frequency, max_length=10)
    count = fields.SmallIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "appointment_series"


class Appointment(Model):
    """`group` records the provider's group at booking, so history stays after a removal."""

    id = fields.IntField(primary_key=True)
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "carepath.Provider", related_name="appointments", on_delete=fields.RESTRICT
    )
    provider_id: int
    client: fields.ForeignKeyRelation[Client] = fields.ForeignKeyField(
        "carepath.Client", related_name="appointments", on_delete=fields.RESTRICT
    )
    client_id: int
    group: fields.ForeignKeyNullableRelation[Group] = fields.ForeignKeyField(
        "carepath.Group", related_name="appointments", null=True, on_delete=fields.SET_NULL
    )
    group_id: int | None
    series: fields.ForeignKeyNullableRelation[AppointmentSeries] = fields.ForeignKeyField(
        "carepath.AppointmentSeries",
        related_name="appointments",
        null=True,
        on_delete=fields.SET_NULL,
    )
    series_id: int | None
    kind = fields.CharEnumField(AppointmentKind, max_length=20)
    modality = fields.CharEnumField(Modality, max_length=10)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    status = fields.CharEnumField(
        AppointmentStatus, max_length=10, default=AppointmentStatus.SCHEDULED
    )
    booked_by = fields.CharEnumField(BookedBy, max_length=10)
    telehealth_location: fields.ForeignKeyNullableRelation[TelehealthLocation] = (
        fields.ForeignKeyField(
            "carepath.TelehealthLocation",
            related_name="appointments",
            null=True,
            on_delete=fields.SET_NULL,
        )
    )
    telehealth_location_id: int | None
    client_location: fields.ForeignKeyNullableRelation[ClientLocation] = fields.ForeignKeyField(
        "carepath.ClientLocation", related_name="appointments", null=True, on_delete=fields.RESTRICT
    )
    client_location_id: int | None
    billing_type = fields.CharEnumField(BillingType, max_length=12, null=True)
    confirmed_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    cancellation_reason = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "appointments"
        indexes = (("provider_id", "starts_at"), ("client_id", "starts_at"))


class Payout(Model):
    """What a confirmed session owes the provider's group: one per appointment."""

    id = fields.IntField(primary_key=True)
    appointment: fields.OneToOneRelation[Appointment] = fields.OneToOneField(
        "carepath.Appointment", related_name="payout", on_delete=fields.RESTRICT
    )
    appointment_id: int
    provider: fields.ForeignKeyRelation[Provider] = fields.ForeignKeyField(
        "carepath.Provider", related_name="payouts", on_delete=fields.RESTRICT
    )
    provider_id: int
    group: fields.ForeignKeyNullableRelation[Group] = fields.ForeignKeyField(
        "carepath.Group", related_name="payouts", null=True, on_delete=fields.SET_NULL
    )
    group_id: int | None
    status = fields.CharEnumField(PayoutStatus, max_length=10, default=PayoutStatus.PENDING)
    paid_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payouts"
