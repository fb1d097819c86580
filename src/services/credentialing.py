"""Licenses (verified by staff) and platform credentialing (completed by staff), per state."""

from __future__ import annotations

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
    license = await get_or_insert(License, provider_id=provider.id, state=state, number=number)
    await audit.record(actor.user_id, "add_license", "License", license.id)
    return license


async def review_license(actor: Actor, license_id: int | None, approve: bool) -> License:
    actor.require_user()
    require_staff(await actor.facts())
    license = await License.get_or_none(id=license_id) if license_id else None
    if license is None:
        raise not_found("license", "licenseId")
    license.status = VerificationStatus.VERIFIED if approve else VerificationStatus.REJECTED
    license.reviewed_at = utcnow()
    await license.save(update_fields=["status", "reviewed_at"])
    await audit.record(actor.user_id, "review_license", "License", license.id)
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
    credential = await get_or_insert(Credential, provider_id=provider.id, state=state)
    if credential.status == CredentialingStatus.DENIED:
        credential.status = CredentialingStatus.IN_PROGRESS
        credential.completed_at = None
        await credential.save(update_fields=["status", "completed_at"])
    await audit.record(actor.user_id, "start_credentialing", "Credential", credential.id)
    return credential


async def complete_credentialing(
    actor: Actor, credential_id: int | None, approve: bool
) -> Credential:
    actor.require_user()
    require_staff(await actor.facts())
    credential = await Credential.get_or_none(id=credential_id) if credential_id else None
    if credential is None:
        raise not_found("credential", "credentialId")
    credential.status = CredentialingStatus.CREDENTIALED if approve else CredentialingStatus.DENIED
    credential.completed_at = utcnow()
    await credential.save(update_fields=["status", "completed_at"])
    await audit.record(actor.user_id, "complete_credentialing", "Credential", credential.id)
    return credential
