"""Coded refusals raised by the services; the GraphQL layer turns them into payload errors."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMITED = "RATE_LIMITED"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_TOKEN = "INVALID_TOKEN"
    EMAIL_NOT_VERIFIED = "EMAIL_NOT_VERIFIED"
    ACCOUNT_NOT_FOUND = "ACCOUNT_NOT_FOUND"
    ACCOUNT_NOT_VERIFIED = "ACCOUNT_NOT_VERIFIED"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    NOT_IN_GROUP = "NOT_IN_GROUP"
    PROVIDER_ARCHIVED = "PROVIDER_ARCHIVED"
    PENDING_PAYOUTS = "PENDING_PAYOUTS"
    NEW_CLIENTS_ONLY = "NEW_CLIENTS_ONLY"
    PROVIDER_ONLY = "PROVIDER_ONLY"
    NOT_ON_ROSTER = "NOT_ON_ROSTER"
    OUTSIDE_AVAILABILITY = "OUTSIDE_AVAILABILITY"
    SLOT_UNAVAILABLE = "SLOT_UNAVAILABLE"
    IN_THE_PAST = "IN_THE_PAST"
    TOO_SOON = "TOO_SOON"
    MODALITY_NOT_OFFERED = "MODALITY_NOT_OFFERED"
    AUDIO_ONLY_NOT_PERMITTED = "AUDIO_ONLY_NOT_PERMITTED"
    TELEHEALTH_NOT_CONFIGURED = "TELEHEALTH_NOT_CONFIGURED"
    INSECURE_TELEHEALTH_LINK = "INSECURE_TELEHEALTH_LINK"
    NON_COMPLIANT_PLATFORM = "NON_COMPLIANT_PLATFORM"
    CLIENT_LOCATION_REQUIRED = "CLIENT_LOCATION_REQUIRED"
    NOT_LICENSED_IN_STATE = "NOT_LICENSED_IN_STATE"
    NOT_CREDENTIALED_IN_STATE = "NOT_CREDENTIALED_IN_STATE"
    PRIVATE_PAY_NOT_ALLOWED = "PRIVATE_PAY_NOT_ALLOWED"
    NO_IN_NETWORK_INSURANCE = "NO_IN_NETWORK_INSURANCE"
    SESSION_NOT_STARTED = "SESSION_NOT_STARTED"
    INVALID_STATUS = "INVALID_STATUS"
    NO_CARE_RELATIONSHIP = "NO_CARE_RELATIONSHIP"


class RuleViolation(Exception):
    """A business rule refused the operation; nothing was written."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class AuthenticationRequired(Exception):
    """The operation needs a signed-in user; it becomes a top-level UNAUTHENTICATED error."""


class InvalidBearerToken(Exception):
    """The bearer token is unknown, expired, idle too long or revoked."""


def not_found(what: str, field: str | None = None) -> RuleViolation:
    """The one refusal for both missing and hidden objects, so the two look alike."""
    return RuleViolation(ErrorCode.NOT_FOUND, f"No {what} with that id.", field)


def validation(field: str, message: str) -> RuleViolation:
    return RuleViolation(ErrorCode.VALIDATION, message, field)
