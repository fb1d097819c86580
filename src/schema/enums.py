"""The domain enums, registered with strawberry under their contract names."""

from __future__ import annotations

import strawberry

from carepath.models import enums

UsState = strawberry.enum(
    enums.UsState, name="UsState", description="US states and DC, by postal code."
)
Role = strawberry.enum(enums.Role, name="Role")
IntakeMode = strawberry.enum(enums.IntakeMode, name="IntakeMode")
ProviderStatus = strawberry.enum(enums.ProviderStatus, name="ProviderStatus")
VerificationStatus = strawberry.enum(enums.VerificationStatus, name="VerificationStatus")
CredentialingStatus = strawberry.enum(enums.CredentialingStatus, name="CredentialingStatus")
RosterStatus = strawberry.enum(enums.RosterStatus, name="RosterStatus")
AppointmentKind = strawberry.enum(enums.AppointmentKind, name="AppointmentKind")
Modality = strawberry.enum(enums.Modality, name="Modality")
AppointmentStatus = strawberry.enum(enums.AppointmentStatus, name="AppointmentStatus")
BillingType = strawberry.enum(enums.BillingType, name="BillingType")
BookedBy = strawberry.enum(enums.BookedBy, name="BookedBy")
Frequency = strawberry.enum(enums.Frequency, name="Frequency")
RemovalStatus = strawberry.enum(enums.RemovalStatus, name="RemovalStatus")
PayoutStatus = strawberry.enum(enums.PayoutStatus, name="PayoutStatus")
CareOutcome = strawberry.enum(enums.CareOutcome, name="CareOutcome")
