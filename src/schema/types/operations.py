"""Operations-side types: removal requests, payouts, continuity-of-care guidance."""

from __future__ import annotations

from datetime import datetime

import strawberry

from carepath.models import Payout as PayoutModel
from carepath.models import ProviderRemovalRequest as RemovalRequestModel
from carepath.models.enums import CareOutcome, PayoutStatus, RemovalStatus, UsState
from carepath.schema.context import Info
from carepath.schema.ids import to_global_id
from carepath.schema.loaders import load_existing
from carepath.schema.types.practice import Provider
from carepath.schema.types.scheduling import Appointment
from carepath.schema.types.users import User
from carepath.services.eligibility import Eligibility


@strawberry.type
class ProviderRemovalRequest:
    model: strawberry.Private[RemovalRequestModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("ProviderRemovalRequest", self.model.id)

    @strawberry.field
    async def provider(self, info: Info) -> Provider:
        provider = await load_existing(info.context.loaders.provider_by_id, self.model.provider_id)
        return Provider(model=provider)

    @strawberry.field
    async def requested_by(self, info: Info) -> User:
        user = await load_existing(info.context.loaders.user_by_id, self.model.requested_by_id)
        return User(model=user)

    @strawberry.field
    def requested_at(self) -> datetime:
        return self.model.requested_at

    @strawberry.field
    def status(self) -> RemovalStatus:
        return RemovalStatus(self.model.status)


@strawberry.type(
    description="What a confirmed session owes the group; "
    "the provider can be removed only once none is pending."
)
class Payout:
    model: strawberry.Private[PayoutModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("Payout", self.model.id)

    @strawberry.field
    async def appointment(self, info: Info) -> Appointment:
        appointment = await load_existing(
            info.context.loaders.appointment_by_id, self.model.appointment_id
        )
        return Appointment(model=appointment)

    @strawberry.field
    def status(self) -> PayoutStatus:
        return PayoutStatus(self.model.status)

    @strawberry.field
    def paid_at(self) -> datetime | None:
        return self.model.paid_at


@strawberry.type(
    description="Continuity-of-care guidance for seeing a client located in a given state."
)
class CareEligibility:
    state: UsState
    outcome: CareOutcome
    can_bill_insurance: bool
    can_see_private_pay: bool
    guidance: str

    @classmethod
    def of(cls, eligibility: Eligibility) -> CareEligibility:
        return cls(
            state=eligibility.state,
            outcome=eligibility.outcome,
            can_bill_insurance=eligibility.can_bill_insurance,
            can_see_private_pay=eligibility.can_see_private_pay,
            guidance=eligibility.guidance,
        )
