"""Licenses (verified by staff) and credentialing (started by the provider, done by staff)."""

from __future__ import annotations

import pytest

from carepath.models import Credential, License
from carepath.models.enums import CredentialingStatus, VerificationStatus
from tests.practice_steps import (
    ADD_LICENSE,
    COMPLETE_CREDENTIALING,
    REVIEW_LICENSE,
    START_CREDENTIALING,
    a_client,
    a_credential,
    a_license,
    a_provider,
    a_staff_member,
    codes,
    db_state,
    mutate,
    provider_row,
    succeed,
)
from tests.support import Api, error_codes

PROVIDER_CREDENTIALS = """
query Provider($id: ID!) {
  node(id: $id) {
    ... on Provider { licenses { state number status } credentials { state status } }
  }
}
"""


def review(license_id: str, approve: bool = True) -> dict[str, object]:
    return {"licenseId": license_id, "approve": approve}


def completion(credential_id: str, approve: bool = True) -> dict[str, object]:
    return {"credentialId": credential_id, "approve": approve}


async def test_provider_adds_a_license_that_awaits_review(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    payload = await succeed(
        api, ADD_LICENSE, "addLicense", {"state": "NY", "number": "LCSW-0042"}, ann.token
    )
    assert {k: payload["license"][k] for k in ("state", "number", "status")} == {
        "state": "NY",
        "number": "LCSW-0042",
        "status": "PENDING",
    }
    row = await License.get(provider_id=(await provider_row(ann)).id)
    assert (row.state, row.number, row.status) == ("NY", "LCSW-0042", VerificationStatus.PENDING)


async def test_license_number_must_not_be_blank(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    payload = await mutate(
        api, ADD_LICENSE, "addLicense", {"state": "NY", "number": "  "}, ann.token
    )
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "number")]
    assert await License.all().count() == 0


async def test_anonymous_caller_cannot_add_a_license(api: Api) -> None:
    result = await api(ADD_LICENSE, {"input": {"state": "NY", "number": "1"}})
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert await License.all().count() == 0


@pytest.mark.parametrize(("approve", "status"), [(True, "VERIFIED"), (False, "REJECTED")])
async def test_staff_reviews_a_license(api: Api, approve: bool, status: str) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    staff = await a_staff_member(api)
    license_id = await a_license(api, ann, "NY")
    payload = await succeed(
        api, REVIEW_LICENSE, "reviewLicense", review(license_id, approve), staff.token
    )
    assert (payload["license"]["id"], payload["license"]["status"]) == (license_id, status)
    assert (await License.get()).status == status


async def test_provider_cannot_review_their_own_license(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    license_id = await a_license(api, ann, "NY")
    payload = await mutate(api, REVIEW_LICENSE, "reviewLicense", review(license_id), ann.token)
    assert (payload["license"], codes(payload)) == (None, ["FORBIDDEN"])
    assert (await License.get()).status == VerificationStatus.PENDING


async def test_staff_reviewing_an_unknown_license_gets_not_found(api: Api) -> None:
    staff = await a_staff_member(api)
    payload = await mutate(api, REVIEW_LICENSE, "reviewLicense", review("not-an-id"), staff.token)
    assert codes(payload) == ["NOT_FOUND"]


async def test_provider_starts_credentialing_where_licensed(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    await a_license(api, ann, "NY", staff=await a_staff_member(api))
    payload = await succeed(
        api, START_CREDENTIALING, "startCredentialing", {"state": "NY"}, ann.token
    )
    assert {k: payload["credential"][k] for k in ("state", "status")} == {
        "state": "NY",
        "status": "IN_PROGRESS",
    }
    row = await Credential.get(provider_id=(await provider_row(ann)).id)
    assert (row.state, row.status) == ("NY", CredentialingStatus.IN_PROGRESS)


@pytest.mark.parametrize(
    "license",
    ["none", "pending here", "rejected here", "verified elsewhere"],
)
async def test_credentialing_needs_a_verified_license_in_that_state(api: Api, license: str) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    staff = await a_staff_member(api)
    if license == "pending here":
        await a_license(api, ann, "NY")
    elif license == "rejected here":
        license_id = await a_license(api, ann, "NY")
        await succeed(api, REVIEW_LICENSE, "reviewLicense", review(license_id, False), staff.token)
    elif license == "verified elsewhere":
        await a_license(api, ann, "CA", staff=staff)
    payload = await mutate(
        api, START_CREDENTIALING, "startCredentialing", {"state": "NY"}, ann.token
    )
    assert (payload["credential"], codes(payload)) == (None, ["NOT_LICENSED_IN_STATE"])
    assert await Credential.all().count() == 0


@pytest.mark.parametrize(("approve", "status"), [(True, "CREDENTIALED"), (False, "DENIED")])
async def test_staff_completes_credentialing(api: Api, approve: bool, status: str) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    staff = await a_staff_member(api)
    await a_license(api, ann, "NY", staff=staff)
    credential_id = await a_credential(api, ann, "NY")
    payload = await succeed(
        api,
        COMPLETE_CREDENTIALING,
        "completeCredentialing",
        completion(credential_id, approve),
        staff.token,
    )
    assert (payload["credential"]["id"], payload["credential"]["status"]) == (credential_id, status)
    assert (await Credential.get()).status == status


async def test_provider_cannot_complete_their_own_credentialing(api: Api) -> None:
    ann = await a_provider(api, "ann@example.com", "Ann")
    await a_license(api, ann, "NY", staff=await a_staff_member(api))
    credential_id = await a_credential(api, ann, "NY")
    before = await db_state()
    payload = await mutate(
        api, COMPLETE_CREDENTIALING, "completeCredentialing", completion(credential_id), ann.token
    )
    assert (payload["credential"], codes(payload)) == (None, ["FORBIDDEN"])
    assert await db_state() == before


async def credentials_seen(
    api: Api, provider_id: str, token: str | None
) -> dict[str, list[tuple[str, str]]]:
    node = (await api.data(PROVIDER_CREDENTIALS, {"id": provider_id}, token=token))["node"]
    return {
        "licenses": sorted((x["state"], x["status"]) for x in node["licenses"]),
        "credentials": sorted((x["state"], x["status"]) for x in node["credentials"]),
    }


async def a_provider_with_mixed_credentials(api: Api) -> tuple[str, dict[str, str | None]]:
    """Verified+credentialed NY, verified+in-progress CA, pending TX; the viewers' tokens."""
    ann = await a_provider(api, "ann@example.com", "Ann")
    staff = await a_staff_member(api)
    await a_license(api, ann, "NY", staff=staff)
    await a_license(api, ann, "CA", staff=staff)
    await a_license(api, ann, "TX")
    ny = await a_credential(api, ann, "NY")
    await a_credential(api, ann, "CA")
    await succeed(api, COMPLETE_CREDENTIALING, "completeCredentialing", completion(ny), staff.token)
    tokens = {
        "anonymous": None,
        "a client": (await a_client(api, "client@example.com")).token,
        "another provider": (await a_provider(api, "bob@example.com", "Bob")).token,
        "the provider": ann.token,
        "staff": staff.token,
    }
    assert ann.provider_id is not None
    return ann.provider_id, tokens


async def test_public_viewers_see_only_verified_licenses_and_credentialed_states(
    api: Api,
) -> None:
    provider_id, tokens = await a_provider_with_mixed_credentials(api)
    for viewer in ("anonymous", "a client", "another provider"):
        assert await credentials_seen(api, provider_id, tokens[viewer]) == {
            "licenses": [("CA", "VERIFIED"), ("NY", "VERIFIED")],
            "credentials": [("NY", "CREDENTIALED")],
        }, viewer


async def test_the_provider_and_staff_see_every_license_and_credential(api: Api) -> None:
    provider_id, tokens = await a_provider_with_mixed_credentials(api)
    for viewer in ("the provider", "staff"):
        assert await credentials_seen(api, provider_id, tokens[viewer]) == {
            "licenses": [("CA", "VERIFIED"), ("NY", "VERIFIED"), ("TX", "PENDING")],
            "credentials": [("CA", "IN_PROGRESS"), ("NY", "CREDENTIALED")],
        }, viewer
