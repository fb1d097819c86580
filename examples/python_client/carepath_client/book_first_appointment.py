from datetime import datetime
from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import AppointmentKind, AppointmentStatus, ErrorCode, Modality


class BookFirstAppointment(BaseModel):
    book_first_appointment: "BookFirstAppointmentBookFirstAppointment" = Field(
        alias="bookFirstAppointment"
    )


class BookFirstAppointmentBookFirstAppointment(BaseModel):
    appointment: Optional["BookFirstAppointmentBookFirstAppointmentAppointment"]
    errors: list["BookFirstAppointmentBookFirstAppointmentErrors"]


class BookFirstAppointmentBookFirstAppointmentAppointment(BaseModel):
    id: str
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime = Field(alias="endsAt")
    kind: AppointmentKind
    modality: Modality
    status: AppointmentStatus


class BookFirstAppointmentBookFirstAppointmentErrors(BaseModel):
    code: ErrorCode
    field: Optional[str]
    message: str


BookFirstAppointment.model_rebuild()
BookFirstAppointmentBookFirstAppointment.model_rebuild()
