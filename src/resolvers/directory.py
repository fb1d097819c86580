"""Practice queries: the public directory, booking links, care eligibility, payouts."""

from __future__ import annotations

import strawberry

from carepath.models import Payout as PayoutModel
from carepath.models.enums import Modality, PayoutStatus, UsState
from carepath.schema.access import deny, facts
from carepath.schema.context import Info
from carepath.schema.errors import unauthenticated
from carepath.schema.ids import pk_of
from carepath.schema.pagination import Connection, Ordering, Page, paginate
from carepath.schema.types.operations import CareEligibility, Payout
from carepath.schema.types.practice import Provider, prefetch_providers_page
from carepath.services import providers, visibility
from carepath.services.eligibility import eligibility_for
from carepath.services.errors import AuthenticationRequired, RuleViolation


@strawberry.type
class PracticeQuery:
    @strawberry.field(
        description="Public profile behind a provider's booking link; "
        "null for archived or removed providers."
    )
    async def provider_by_booking_slug(self, slug: str) -> Provider | None:
        provider = await providers.by_booking_slug(slug)
        return Provider(model=provider) if provider else None

    @strawberry.field(description="Public directory of active providers.")
    async def providers(
        self,
        info: Info,
        state: UsState | None = None,
        modality: Modality | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Provider]:
        return await paginate(
            providers.directory(state, modality),
            Page(first, after, last, before),
            Ordering("id"),
            lambda p: Provider(model=p),
            lambda rows: prefetch_providers_page(info, rows),
        )

    @strawberry.field(
        description="For the provider (or the group's admins) of a client on their roster."
    )
    async def care_eligibility(
        self, info: Info, provider_id: strawberry.ID, client_id: strawberry.ID, state: UsState
    ) -> CareEligibility:
        try:
            eligibility = await eligibility_for(
                info.context.actor,
                pk_of(provider_id, "Provider"),
                pk_of(client_id, "Client"),
                state,
            )
        except AuthenticationRequired as exc:
            raise unauthenticated() from exc
        except RuleViolation:
            deny(info)
        return CareEligibility.of(eligibility)

    @strawberry.field(description="The group's pending payouts; group admins and staff.")
    async def payouts(
        self, info: Info, group_id: strawberry.ID, status: PayoutStatus | None = None
    ) -> list[Payout]:
        viewer = await facts(info)
        group_pk = pk_of(group_id, "Group")
        if not (visibility.administers_group(viewer, group_pk) or viewer.is_staff):
            deny(info)
        rows = PayoutModel.filter(group_id=group_pk)
        if status is not None:
            rows = rows.filter(status=status)
        return [Payout(model=p) for p in await rows.order_by("id")]
