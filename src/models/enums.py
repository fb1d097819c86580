"""Domain enumerations shared by the models, the services and the GraphQL schema."""

from __future__ import annotations

from enum import StrEnum

US_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS "
    "MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
).split()

UsState = StrEnum("UsState", {code: code for code in US_STATE_CODES})  # type: ignore[misc]


class Role(StrEnum):
    CLIENT = "CLIENT"
    PROVIDER = "PROVIDER"
    GROUP_ADMIN = "GROUP_ADMIN"
    STAFF = "STAFF"


class PhiAccessOutcome(StrEnum):
    ALLOWED = "ALLOWED"
    DENIED = "DENIED"


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "VERIFY_EMAIL"
    RESET_PASSWORD = "RESET_PASSWORD"


class GroupRole(StrEnum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"


class IntakeMode(StrEnum):
    PHONE_CONSULTATION = "PHONE_CONSULTATION"
    FULL_SESSION = "FULL_SESSION"


class ProviderStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"
    REMOVAL_REQUESTED = "REMOVAL_REQUESTED"
    REMOVED = "REMOVED"


class VerificationStatus(StrEnum):
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"


class CredentialingStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    CREDENTIALED = "CREDENTIALED"
    DENIED = "DENIED"


class RosterStatus(StrEnum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class AppointmentKind(StrEnum):
    PHONE_CONSULTATION = "PHONE_CONSULTATION"
    SESSION = "SESSION"


class Modality(StrEnum):
    TELEHEALTH = "TELEHEALTH"
    IN_PERSON = "IN_PERSON"
    PHONE = "PHONE"


class AppointmentStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    CANCELLED = "CANCELLED"
    CONFIRMED = "CONFIRMED"


class BillingType(StrEnum):
    INSURANCE = "INSURANCE"
    PRIVATE_PAY = "PRIVATE_PAY"


class BookedBy(StrEnum):
    CLIENT = "CLIENT"
    PROVIDER = "PROVIDER"


class Frequency(StrEnum):
    WEEKLY = "WEEKLY"
    BIWEEKLY = "BIWEEKLY"
    MONTHLY = "MONTHLY"


class RemovalStatus(StrEnum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"


class PayoutStatus(StrEnum):
    PENDING = "PENDING"
    PAID = "PAID"


class CareOutcome(StrEnum):
    CONTINUE = "CONTINUE"
    NEEDS_CREDENTIALING = "NEEDS_CREDENTIALING"
    PRIVATE_PAY_ONLY = "PRIVATE_PAY_ONLY"
    REFER = "REFER"


class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    DEAD = "DEAD"
    CANCELLED = "CANCELLED"


class WebhookEventType(StrEnum):
    """The value is the event's `type` in a webhook body (RULES.md "Webhooks")."""

    APPOINTMENT_BOOKED = "appointment.booked"
    APPOINTMENT_RESCHEDULED = "appointment.rescheduled"
    APPOINTMENT_CANCELLED = "appointment.cancelled"
    SESSION_CONFIRMED = "session.confirmed"
    MESSAGE_SENT = "message.sent"
    CLIENT_TRANSFERRED = "client.transferred"


class WebhookDeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
