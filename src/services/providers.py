"""Provider profiles, booking slugs, weekly availability and the public directory."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from carepath.models import AvailabilityWindow, License, Provider
from carepath.models.enums import (
    IntakeMode,
    Modality,
    ProviderStatus,
    UsState,
    VerificationStatus,
)
from carepath.services import audit
from carepath.services.actor import Actor
from carepath.services.availability import parse_windows
from carepath.services.errors import ErrorCode, RuleViolation, validation
from carepath.services.guards import (
    clean_time_zone,
    require_manager,
    require_verified,
    visible_provider,
)
from carepath.services.validation import clean_optional_text, clean_text

SLUG_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
# What a profile update writes: never status or group, which their own services change.
PROFILE_FIELDS = (
    "display_name",
    "bio",
    "intake_mode",
    "offers_telehealth",
    "offers_in_person",
    "time_zone",
    "office_state",
)
BIO_MAX = 2000


@dataclass(frozen=True)
class ProviderProfile:
    """What a provider says about their practice; None leaves a field unchanged."""

    display_name: str | None = None
    bio: str | None = None
    intake_mode: IntakeMode | None = None
    offers_telehealth: bool | None = None
    offers_in_person: bool | None = None
    time_zone: str | None = None
    office_state: UsState | None = None


SLUG_MAX = 80  # the booking_slug column's length


def booking_slug(display_name: str) -> str:
    """The name in lowercase ASCII plus a random suffix: readable, unique, hard to guess."""
    ascii_name = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    suffix = "".join(secrets.choice(SLUG_ALPHABET) for _ in range(6))
    return f"{words or 'provider'}-{suffix}"


def _apply(provider: Provider, profile: ProviderProfile) -> None:
    """Validates the given fields into the provider (unsaved)."""
    if profile.display_name is not None:
        provider.display_name = clean_text(
            profile.display_name, "displayName", max_length=200, what="a display name"
        )
    if profile.bio is not None:
        provider.bio = clean_optional_text(profile.bio, "bio", max_length=BIO_MAX, multiline=True)  # type: ignore[assignment]
    if profile.intake_mode is not None:
        provider.intake_mode = profile.intake_mode
    if profile.offers_telehealth is not None:
        provider.offers_telehealth = profile.offers_telehealth
    if profile.offers_in_person is not None:
        provider.offers_in_person = profile.offers_in_person
    if profile.time_zone is not None:
        provider.time_zone = clean_time_zone(profile.time_zone)
    if profile.office_state is not None:
        provider.office_state = profile.office_state
    if provider.offers_in_person and not provider.office_state:
        raise validation("officeState", "Give the office's state to offer in-person sessions.")


async def save_new_provider(provider: Provider) -> Provider:
    """Inserts with a fresh slug, retrying on the (unlikely) slug collision."""
    for _ in range(5):
        provider.booking_slug = booking_slug(provider.display_name)
        try:
            async with in_transaction():
                await provider.save()
            return provider
        except IntegrityError:
            if await Provider.filter(user_id=provider.user_id).exists():
                raise
    raise RuntimeError("could not find a free booking slug")


async def become_provider(actor: Actor, profile: ProviderProfile) -> Provider:
    user = actor.require_user()
    require_verified(user)
    if (await actor.facts()).provider_id is not None:
        raise RuleViolation(ErrorCode.FORBIDDEN, "You already have a provider profile.")
    for attribute, field in (("display_name", "displayName"), ("time_zone", "timeZone")):
        if getattr(profile, attribute) is None:
            raise validation(field, "This field is required.")
    provider = Provider(
        user_id=user.id, status=ProviderStatus.ACTIVE, intake_mode=IntakeMode.PHONE_CONSULTATION
    )
    _apply(provider, profile)
    try:
        async with in_transaction():
            await save_new_provider(provider)
            await audit.record(user.id, "become_provider", "Provider", provider.id)
    except IntegrityError as exc:  # a concurrent becomeProvider won
        raise RuleViolation(ErrorCode.FORBIDDEN, "You already have a provider profile.") from exc
    return provider


async def update_provider(
    actor: Actor, provider_id: int | None, profile: ProviderProfile
) -> Provider:
    actor.require_user()
    provider = await visible_provider(actor, provider_id, "providerId")
    require_manager(await actor.facts(), provider)
    _apply(provider, profile)
    async with in_transaction():
        # Only the profile: a stale copy must not undo an archive or removal meanwhile.
        await provider.save(update_fields=list(PROFILE_FIELDS))
        await audit.record(actor.user_id, "update_provider", "Provider", provider.id)
    await provider.refresh_from_db(fields=["status", "group_id"])
    return provider


async def set_availability(
    actor: Actor, provider_id: int | None, windows: list[tuple[int, str, str]]
) -> Provider:
    """Replaces the provider's weekly windows with the given list, all or nothing."""
    actor.require_user()
    provider = await visible_provider(actor, provider_id, "providerId")
    require_manager(await actor.facts(), provider)
    parsed = parse_windows(windows)
    async with in_transaction():
        await AvailabilityWindow.filter(provider_id=provider.id).delete()
        await AvailabilityWindow.bulk_create(
            [
                AvailabilityWindow(
                    provider_id=provider.id,
                    weekday=w.weekday,
                    start_minute=w.start_minute,
                    end_minute=w.end_minute,
                )
                for w in parsed
            ]
        )
        await audit.record(actor.user_id, "set_availability", "Provider", provider.id)
    return provider


def directory(state: UsState | None, modality: Modality | None) -> QuerySet[Provider]:
    """Active providers, by a verified license in `state` and by what they offer."""
    queryset = Provider.filter(status=ProviderStatus.ACTIVE)
    if state is not None:
        licensed = License.filter(state=state, status=VerificationStatus.VERIFIED)
        queryset = queryset.filter(id__in=Subquery(licensed.values("provider_id")))
    if modality == Modality.TELEHEALTH:
        queryset = queryset.filter(offers_telehealth=True)
    elif modality == Modality.IN_PERSON:
        queryset = queryset.filter(offers_in_person=True)
    elif modality == Modality.PHONE:
        queryset = queryset.filter(intake_mode=IntakeMode.PHONE_CONSULTATION)
    return queryset


async def with_booking_slug(slug: str) -> Provider | None:
    """The provider a booking link names, whatever their status; a slug no provider could
    have (empty, or longer than the column) names nobody rather than failing the lookup."""
    key = slug.strip().lower()
    if not key or len(key) > SLUG_MAX:
        return None
    return await Provider.get_or_none(booking_slug=key)


async def by_booking_slug(slug: str) -> Provider | None:
    """The booking link's provider; archived, removal-requested and removed ones are hidden."""
    provider = await with_booking_slug(slug)
    return provider if provider is not None and provider.status == ProviderStatus.ACTIVE else None
