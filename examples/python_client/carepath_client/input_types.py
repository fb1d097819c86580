from datetime import datetime
from typing import Optional

from pydantic import Field

from .base_model import BaseModel
from .enums import (
    AppointmentKind,
    BillingType,
    Frequency,
    IntakeMode,
    Modality,
    UsState,
    WebhookEventType,
)


class AddClientLocationInput(BaseModel):
    client_id: str = Field(alias="clientId")
    state: UsState
    label: Optional[str] = None


class AddClientToRosterInput(BaseModel):
    provider_id: str = Field(alias="providerId")
    email: str
    "The client's account email: an existing client account is recognised."


class AddGroupAdminInput(BaseModel):
    group_id: str = Field(alias="groupId")
    email: str
    "Email of an existing account with a verified email address."


class AddLicenseInput(BaseModel):
    state: UsState
    number: str


class AddProviderToGroupInput(BaseModel):
    group_id: str = Field(alias="groupId")
    email: str
    "Email of an existing, verified account; it becomes a provider in the group."
    display_name: str = Field(alias="displayName")
    intake_mode: IntakeMode = Field(
        alias="intakeMode", default=IntakeMode.PHONE_CONSULTATION
    )
    time_zone: str = Field(alias="timeZone", default="America/New_York")


class AddTelehealthLocationInput(BaseModel):
    name: str
    url: str
    instructions: Optional[str] = None
    hipaa_compliant: bool = Field(alias="hipaaCompliant")
    baa_signed: bool = Field(alias="baaSigned")
    waiting_room_enabled: bool = Field(alias="waitingRoomEnabled")
    make_default: bool = Field(alias="makeDefault", default=True)


class ArchiveClientInput(BaseModel):
    provider_id: str = Field(alias="providerId")
    client_id: str = Field(alias="clientId")


class AvailabilityWindowInput(BaseModel):
    weekday: int
    start: str
    end: str


class BecomeProviderInput(BaseModel):
    display_name: str = Field(alias="displayName")
    bio: Optional[str] = None
    intake_mode: IntakeMode = Field(alias="intakeMode")
    offers_telehealth: bool = Field(alias="offersTelehealth")
    offers_in_person: bool = Field(alias="offersInPerson")
    time_zone: str = Field(alias="timeZone")
    office_state: Optional[UsState] = Field(alias="officeState", default=None)
    "Required when offersInPerson is true."


class BookFirstAppointmentInput(BaseModel):
    booking_slug: str = Field(alias="bookingSlug")
    "The provider's booking link slug."
    starts_at: datetime = Field(alias="startsAt")
    modality: Modality


class CancelAppointmentInput(BaseModel):
    appointment_id: str = Field(alias="appointmentId")
    reason: Optional[str] = None


class CompleteCredentialingInput(BaseModel):
    credential_id: str = Field(alias="credentialId")
    approve: bool


class CompleteProviderRemovalInput(BaseModel):
    removal_request_id: str = Field(alias="removalRequestId")


class ConfirmSessionInput(BaseModel):
    appointment_id: str = Field(alias="appointmentId")
    client_location_id: Optional[str] = Field(alias="clientLocationId", default=None)
    "Required for telehealth sessions: where the client joined from."
    billing_type: BillingType = Field(alias="billingType")
    audio_only: bool = Field(alias="audioOnly", default=False)
    "Audio-only sessions are not permitted: true is refused."


class CreateGroupInput(BaseModel):
    name: str


class CreateWebhookEndpointInput(BaseModel):
    provider_id: Optional[str] = Field(alias="providerId", default=None)
    "Exactly one of providerId (the signed-in provider's own profile) and groupId."
    group_id: Optional[str] = Field(alias="groupId", default=None)
    url: str
    events: list[WebhookEventType]


class LogInInput(BaseModel):
    email: str
    password: str


class MarkConversationReadInput(BaseModel):
    conversation_id: str = Field(alias="conversationId")


class MarkPayoutsPaidInput(BaseModel):
    provider_id: str = Field(alias="providerId")


class ProviderIdInput(BaseModel):
    provider_id: str = Field(alias="providerId")


class RecurrenceInput(BaseModel):
    frequency: Frequency
    count: int
    "Number of appointments in the series, the first included (2..52)."


class RedeliverWebhookInput(BaseModel):
    delivery_id: str = Field(alias="deliveryId")


class RemoveTelehealthLocationInput(BaseModel):
    telehealth_location_id: str = Field(alias="telehealthLocationId")


class RequestPasswordResetInput(BaseModel):
    email: str


class RescheduleAppointmentInput(BaseModel):
    appointment_id: str = Field(alias="appointmentId")
    starts_at: datetime = Field(alias="startsAt")
    duration_minutes: Optional[int] = Field(alias="durationMinutes", default=None)


class ResetPasswordInput(BaseModel):
    token: str
    new_password: str = Field(alias="newPassword")


class RespondToRosterInvitationInput(BaseModel):
    provider_id: str = Field(alias="providerId")
    accept: bool


class ReviewLicenseInput(BaseModel):
    license_id: str = Field(alias="licenseId")
    approve: bool


class ScheduleAppointmentInput(BaseModel):
    provider_id: str = Field(alias="providerId")
    client_id: str = Field(alias="clientId")
    starts_at: datetime = Field(alias="startsAt")
    duration_minutes: int = Field(alias="durationMinutes", default=50)
    modality: Modality
    kind: AppointmentKind = AppointmentKind.SESSION
    recurrence: Optional["RecurrenceInput"] = None


class SendMessageInput(BaseModel):
    conversation_id: Optional[str] = Field(alias="conversationId", default=None)
    "Either the conversation, or the other party: a providerId (for a client) or a clientId (for a provider)."
    provider_id: Optional[str] = Field(alias="providerId", default=None)
    client_id: Optional[str] = Field(alias="clientId", default=None)
    body: str


class SetAvailabilityInput(BaseModel):
    provider_id: str = Field(alias="providerId")
    windows: list["AvailabilityWindowInput"]


class SetInsuranceInput(BaseModel):
    client_id: str = Field(alias="clientId")
    payer_name: str = Field(alias="payerName")
    in_network: bool = Field(alias="inNetwork")


class SignUpInput(BaseModel):
    email: str
    password: str
    full_name: str = Field(alias="fullName")


class StartCredentialingInput(BaseModel):
    state: UsState


class TransferClientInput(BaseModel):
    client_id: str = Field(alias="clientId")
    from_provider_id: str = Field(alias="fromProviderId")
    to_provider_id: str = Field(alias="toProviderId")


class UpdateProviderInput(BaseModel):
    provider_id: str = Field(alias="providerId")
    display_name: Optional[str] = Field(alias="displayName", default=None)
    bio: Optional[str] = None
    intake_mode: Optional[IntakeMode] = Field(alias="intakeMode", default=None)
    offers_telehealth: Optional[bool] = Field(alias="offersTelehealth", default=None)
    offers_in_person: Optional[bool] = Field(alias="offersInPerson", default=None)
    time_zone: Optional[str] = Field(alias="timeZone", default=None)
    office_state: Optional[UsState] = Field(alias="officeState", default=None)


class UpdateTelehealthLocationInput(BaseModel):
    telehealth_location_id: str = Field(alias="telehealthLocationId")
    name: Optional[str] = None
    url: Optional[str] = None
    instructions: Optional[str] = None
    hipaa_compliant: Optional[bool] = Field(alias="hipaaCompliant", default=None)
    baa_signed: Optional[bool] = Field(alias="baaSigned", default=None)
    waiting_room_enabled: Optional[bool] = Field(
        alias="waitingRoomEnabled", default=None
    )
    make_default: Optional[bool] = Field(alias="makeDefault", default=None)


class UpdateWebhookEndpointInput(BaseModel):
    endpoint_id: str = Field(alias="endpointId")
    url: Optional[str] = None
    events: Optional[list[WebhookEventType]] = None
    enabled: Optional[bool] = None


class VerifyEmailInput(BaseModel):
    token: str


class WebhookEndpointIdInput(BaseModel):
    endpoint_id: str = Field(alias="endpointId")


ScheduleAppointmentInput.model_rebuild()
SetAvailabilityInput.model_rebuild()
