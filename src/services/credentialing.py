"""Licenses (verified by staff) and platform credentialing (completed by staff), per state."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from carepath.clock import utcnow
from carepath.models import Credential, License
from carepath.models.enums import CredentialingStatus, UsState, VerificationStatus
from carepath.services import audit
from carepath.services.actor import Actor
from carepath.services.errors import ErrorCode, RuleViolation, not_found
from carepath.services.guards import own_provider, require_staff
from carepath.services.rows import get_or_insert
from carepath.services.validation import clean_text


async def add_license(actor: Actor, state: UsState, number: str) -> License:
    """A license the provider holds; PENDING until staff review it."""
    provider = await own_provider(actor)
    number = clean_text(number, "number", max_length=64, what="the license number")
    async with in_transaction():
        license = await get_or_insert(License, provider_id=provider.id, state=state, number=number)
        await audit.record(actor.user_id, "add_license", "License", license.id)
    return license


def _already_decided(what: str) -> RuleViolation:
    return RuleViolation(ErrorCode.INVALID_STATUS, f"This {what} was already decided otherwise.")


async def review_license(actor: Actor, license_id: int | None, approve: bool) -> License:
    """A PENDING license is decided once: the same decision again changes nothing, the
    opposite one (say, from a second reviewer at the same moment) is INVALID_STATUS."""
    actor.require_user()
    require_staff(await actor.facts())
    license = await License.get_or_none(id=license_id) if license_id else None
    if license is None:
        raise not_found("license", "licenseId")
    decision = VerificationStatus.VERIFIED if approve else VerificationStatus.REJECTED
    async with in_transaction():
        now = utcnow()
        decided = await License.filter(id=license.id, status=VerificationStatus.PENDING).update(
            status=decision, reviewed_at=now
        )
        if decided == 1:
            await audit.record(actor.user_id, "review_license", "License", license.id)
    if decided == 1:
        license.status, license.reviewed_at = decision, now
        return license
    await license.refresh_from_db()
    if license.status != decision:
        raise _already_decided("license")
    return license


async def start_credentialing(actor: Actor, state: UsState) -> Credential:
    """Needs a verified license in the state; a denied application can be started again."""
    provider = await own_provider(actor)
    licensed = await License.filter(
        provider_id=provider.id, state=state, status=VerificationStatus.VERIFIED
    ).exists()
    if not licensed:
        raise RuleViolation(
            ErrorCode.NOT_LICENSED_IN_STATE,
            f"Credentialing in {state} needs a verified license there.",
            "state",
        )
    async with in_transaction():
        credential = await get_or_insert(Credential, provider_id=provider.id, state=state)
        await Credential.filter(id=credential.id, status=CredentialingStatus.DENIED).update(
            status=CredentialingStatus.IN_PROGRESS, completed_at=None
        )
        await audit.record(actor.user_id, "start_credentialing", "Credential", credential.id)
    await credential.refresh_from_db()
    return credential


async def complete_credentialing(
    actor: Actor, credential_id: int | None, approve: bool
) -> Credential:
    actor.require_user()
    require_staff(await actor.facts())
    credential = await Credential.get_or_none(id=credential_id) if credential_id else None
    if credential is None:
        raise not_found("credential", "credentialId")
    decision = CredentialingStatus.CREDENTIALED if approve else CredentialingStatus.DENIED
    async with in_transaction():  # decided once, as a license review is
        now = utcnow()
        decided = await Credential.filter(
            id=credential.id, status=CredentialingStatus.IN_PROGRESS
        ).update(status=decision, completed_at=now)
        if decided == 1:
            await audit.record(actor.user_id, "complete_credentialing", "Credential", credential.id)
    if decided == 1:
        credential.status, credential.completed_at = decision, now
        return credential
    await credential.refresh_from_db()
    if credential.status != decision:
        raise _already_decided("credentialing")
    return credential
