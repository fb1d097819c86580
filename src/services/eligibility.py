"""Continuity of care (RULES.md): one decision for careEligibility and confirmSession."""

from __future__ import annotations

from dataclasses import dataclass

from carepath.models import Credential, Insurance, License, Provider, RosterEntry
from carepath.models.enums import CareOutcome, CredentialingStatus, UsState, VerificationStatus
from carepath.services.actor import Actor
from carepath.services.errors import ErrorCode, RuleViolation
from carepath.services.guards import require_manager, visible_client, visible_provider


@dataclass(frozen=True)
class CareStanding:
    """The facts the rule looks at, for one provider, client and state."""

    licensed: bool
    credentialed: bool
    in_network: bool


@dataclass(frozen=True)
class Eligibility:
    state: UsState
    outcome: CareOutcome
    can_bill_insurance: bool
    can_see_private_pay: bool
    guidance: str


def decide(state: UsState, standing: CareStanding) -> Eligibility:
    """The table of RULES.md "Continuity of care", row by row."""
    if not standing.licensed:
        return Eligibility(
            state, CareOutcome.REFER, False, False,
            f"You are not licensed in {state}: refer the client to a provider licensed there.",
        )  # fmt: skip
    if standing.credentialed and standing.in_network:
        return Eligibility(
            state, CareOutcome.CONTINUE, True, False,
            f"Continue care in {state} and bill the client's in-network insurance.",
        )  # fmt: skip
    if standing.credentialed:
        return Eligibility(
            state, CareOutcome.CONTINUE, False, True,
            f"Continue care in {state} as private pay: the client has no in-network insurance.",
        )  # fmt: skip
    if standing.in_network:
        return Eligibility(
            state, CareOutcome.NEEDS_CREDENTIALING, False, False,
            f"Start credentialing in {state} to bill the client's in-network insurance, "
            "or refer the client to a credentialed provider there.",
        )  # fmt: skip
    return Eligibility(
        state, CareOutcome.PRIVATE_PAY_ONLY, False, True,
        f"You are licensed but not credentialed in {state}: see the client via private pay, "
        "or start credentialing there.",
    )  # fmt: skip


async def standing_of(provider: Provider, client_id: int, state: UsState) -> CareStanding:
    licensed = await License.filter(
        provider_id=provider.id, state=state, status=VerificationStatus.VERIFIED
    ).exists()
    credentialed = await Credential.filter(
        provider_id=provider.id, state=state, status=CredentialingStatus.CREDENTIALED
    ).exists()
    insurance = await Insurance.get_or_none(client_id=client_id)
    return CareStanding(licensed, credentialed, insurance is not None and insurance.in_network)


async def care_eligibility(provider: Provider, client_id: int, state: UsState) -> Eligibility:
    return decide(state, await standing_of(provider, client_id, state))


async def eligibility_for(
    actor: Actor, provider_id: int | None, client_id: int | None, state: UsState
) -> Eligibility:
    """For the provider (or their group's admins) of a client on that provider's roster."""
    actor.require_user()
    provider = await visible_provider(actor, provider_id, "providerId")
    require_manager(await actor.facts(), provider)
    client = await visible_client(actor, client_id, "clientId")
    if not await RosterEntry.filter(provider_id=provider.id, client_id=client.id).exists():
        raise RuleViolation(ErrorCode.NOT_ON_ROSTER, "The client is not on this provider's roster.")
    return await care_eligibility(provider, client.id, state)
