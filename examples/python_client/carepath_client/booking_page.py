from datetime import datetime
from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import IntakeMode


class BookingPage(BaseModel):
    provider_by_booking_slug: Optional["BookingPageProviderByBookingSlug"] = Field(
        alias="providerByBookingSlug"
    )


class BookingPageProviderByBookingSlug(BaseModel):
    id: str
    display_name: str = Field(alias="displayName")
    intake_mode: IntakeMode = Field(alias="intakeMode")
    offers_telehealth: bool = Field(alias="offersTelehealth")
    available_slots: list["BookingPageProviderByBookingSlugAvailableSlots"] = Field(
        alias="availableSlots"
    )


class BookingPageProviderByBookingSlugAvailableSlots(BaseModel):
    starts_at: datetime = Field(alias="startsAt")
    ends_at: datetime = Field(alias="endsAt")


BookingPage.model_rebuild()
BookingPageProviderByBookingSlug.model_rebuild()
