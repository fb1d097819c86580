"""Continuity of care: what a provider may do for a client located in a state (RULES.md table)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from carepath.models import Credential, Insurance, License, RosterEntry
from carepath.models.enums import CredentialingStatus, UsState, VerificationStatus
from tests.practice_steps import (
    COMPLETE_CREDENTIALING,
    SET_INSURANCE,
    Person,
    a_client,
    a_credential,
    a_group,
    a_group_provider,
    a_license,
    a_provider,
    a_staff_member,
    client_row,
    provider_row,
    succeed,
)
from tests.support import Api

CARE_ELIGIBILITY = """
query Eligibility($providerId: ID!, $clientId: ID!, $state: UsState!) {
  careEligibility(providerId: $providerId, clientId: $clientId, state: $state) {
    state outcome canBillInsurance canSeePrivatePay guidance
  }
}
"""
LICENSES = ("VERIFIED", "PENDING", None)
CREDENTIALS = ("CREDENTIALED", "IN_PROGRESS", None)
INSURANCES = ("in-network", "out-of-network", None)


def expected(license: str | None, credential: str | None, insurance: str | None) -> tuple[Any, ...]:
    """The RULES.md table: (outcome, canBillInsurance, canSeePrivatePay)."""
    in_network = insurance == "in-network"
    if license != "VERIFIED":
        return ("REFER", False, False)
    if credential == "CREDENTIALED":
        return ("CONTINUE", in_network, not in_network)
    if in_network:
        return ("NEEDS_CREDENTIALING", False, False)
    return ("PRIVATE_PAY_ONLY", False, True)


@dataclass
class CareTeam:
    provider: Person
    client: Person
    provider_pk: int
    client_pk: int


@pytest.fixture
async def care_team(api: Api) -> CareTeam:
    """A provider with a client on their roster; the rows that vary come per test."""
    provider = await a_provider(api, "ann@example.com", "Ann")
    client = await a_client(api, "cleo@example.com", "Cleo")
    provider_pk = (await provider_row(provider)).id
    client_pk = (await client_row(client)).id
    # Model given-step: rosters through the API are tested in test_rosters.
    await RosterEntry.create(provider_id=provider_pk, client_id=client_pk)
    return CareTeam(provider, client, provider_pk, client_pk)


async def given_rows(
    team: CareTeam,
    state: str,
    license: str | None,
    credential: str | None,
    insurance: str | None,
) -> None:
    if license is not None:
        await License.create(
            provider_id=team.provider_pk,
            state=UsState(state),
            number=f"{state}-1",
            status=VerificationStatus(license),
        )
    if credential is not None:
        await Credential.create(
            provider_id=team.provider_pk,
            state=UsState(state),
            status=CredentialingStatus(credential),
        )
    if insurance is not None:
        await Insurance.create(
            client_id=team.client_pk, payer_name="Aetna", in_network=insurance == "in-network"
        )


async def forget_rows(team: CareTeam) -> None:
    await License.filter(provider_id=team.provider_pk).delete()
    await Credential.filter(provider_id=team.provider_pk).delete()
    await Insurance.filter(client_id=team.client_pk).delete()


async def eligibility(api: Api, team: CareTeam, state: str, token: str | None = None) -> Any:
    variables = {
        "providerId": team.provider.provider_id,
        "clientId": team.client.client_id,
        "state": state,
    }
    data = await api.data(CARE_ELIGIBILITY, variables, token=token or team.provider.token)
    return data["careEligibility"]


def verdict(answer: dict[str, Any]) -> tuple[Any, ...]:
    return (answer["outcome"], answer["canBillInsurance"], answer["canSeePrivatePay"])


@pytest.mark.parametrize(
    ("license", "credential", "insurance", "outcome", "bill_insurance", "private_pay"),
    [
        ("VERIFIED", "CREDENTIALED", "in-network", "CONTINUE", True, False),
        ("VERIFIED", "CREDENTIALED", "out-of-network", "CONTINUE", False, True),
        ("VERIFIED", "CREDENTIALED", None, "CONTINUE", False, True),
        ("VERIFIED", "IN_PROGRESS", "in-network", "NEEDS_CREDENTIALING", False, False),
        ("VERIFIED", None, "in-network", "NEEDS_CREDENTIALING", False, False),
        ("VERIFIED", "IN_PROGRESS", "out-of-network", "PRIVATE_PAY_ONLY", False, True),
        ("VERIFIED", None, None, "PRIVATE_PAY_ONLY", False, True),
        ("PENDING", "CREDENTIALED", "in-network", "REFER", False, False),
        (None, None, "out-of-network", "REFER", False, False),
        (None, None, None, "REFER", False, False),
    ],
)
async def test_eligibility_follows_the_table(
    api: Api,
    care_team: CareTeam,
    license: str | None,
    credential: str | None,
    insurance: str | None,
    outcome: str,
    bill_insurance: bool,
    private_pay: bool,
) -> None:
    await given_rows(care_team, "NY", license, credential, insurance)
    answer = await eligibility(api, care_team, "NY")
    assert answer["state"] == "NY"
    assert verdict(answer) == (outcome, bill_insurance, private_pay)
    assert answer["guidance"].strip()


F = TypeVar("F", bound=Callable[..., Any])


def with_every_combination(test: F) -> F:
    """Each license x credential x insurance combination runs, whatever hypothesis draws."""
    for license, credential, insurance in itertools.product(LICENSES, CREDENTIALS, INSURANCES):
        test = example(
            license=license,
            credential=credential,
            insurance=insurance,
            state="NY",
            elsewhere=False,
        )(test)
    return test


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    license=st.sampled_from((*LICENSES, "REJECTED")),
    credential=st.sampled_from((*CREDENTIALS, "DENIED")),
    insurance=st.sampled_from(INSURANCES),
    state=st.sampled_from(["NY", "CA", "TX", "DC"]),
    elsewhere=st.booleans(),
)
@with_every_combination
async def test_eligibility_matches_the_table_for_every_combination(
    api: Api,
    care_team: CareTeam,
    license: str | None,
    credential: str | None,
    insurance: str | None,
    state: str,
    elsewhere: bool,
) -> None:
    await given_rows(care_team, state, license, credential, insurance)
    if elsewhere:  # licensed and credentialed in another state: must not count here
        await given_rows(care_team, "WA", "VERIFIED", "CREDENTIALED", None)
    try:
        answer = await eligibility(api, care_team, state)
        assert answer["state"] == state
        assert verdict(answer) == expected(license, credential, insurance)
        assert answer["guidance"].strip()
    finally:
        await forget_rows(care_team)


async def test_a_license_in_another_state_means_refer(api: Api, care_team: CareTeam) -> None:
    await given_rows(care_team, "NY", "VERIFIED", "CREDENTIALED", "in-network")
    assert verdict(await eligibility(api, care_team, "NJ")) == ("REFER", False, False)


async def test_eligibility_follows_licensing_and_credentialing_done_through_the_api(
    api: Api,
) -> None:
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    group_id = await a_group(api, owner)
    ann = await a_group_provider(api, group_id, owner, "ann@example.com", "Ann")
    cleo = await a_client(api, "cleo@example.com", "Cleo")
    staff = await a_staff_member(api)
    team = CareTeam(ann, cleo, 0, 0)
    await RosterEntry.create(
        provider_id=(await provider_row(ann)).id, client_id=(await client_row(cleo)).id
    )
    assert verdict(await eligibility(api, team, "NY")) == ("REFER", False, False)

    await a_license(api, ann, "NY", staff=staff)
    assert verdict(await eligibility(api, team, "NY")) == ("PRIVATE_PAY_ONLY", False, True)

    insurance = {"clientId": cleo.client_id, "payerName": "Aetna", "inNetwork": True}
    await succeed(api, SET_INSURANCE, "setInsurance", insurance, cleo.token)
    assert verdict(await eligibility(api, team, "NY")) == ("NEEDS_CREDENTIALING", False, False)

    credential_id = await a_credential(api, ann, "NY")
    completion = {"credentialId": credential_id, "approve": True}
    await succeed(api, COMPLETE_CREDENTIALING, "completeCredentialing", completion, staff.token)
    assert verdict(await eligibility(api, team, "NY")) == ("CONTINUE", True, False)
    # The group's owner asks on the provider's behalf and gets the same answer.
    assert verdict(await eligibility(api, team, "NY", owner.token)) == ("CONTINUE", True, False)
