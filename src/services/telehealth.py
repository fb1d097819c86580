"""Telehealth locations: https links on attested HIPAA platforms, exactly one default."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from tortoise.transactions import in_transaction

from carepath.models import Provider, TelehealthLocation
from carepath.services import audit, visibility
from carepath.services.actor import Actor
from carepath.services.appointments import lock_provider, refresh_reminders
from carepath.services.errors import ErrorCode, RuleViolation, not_found
from carepath.services.guards import own_provider
from carepath.services.validation import clean_optional_text, clean_text

URL_MAX = 2048
# What an update writes: never is_default, which only _make_default changes (under the
# provider's lock), so that a stale copy cannot bring back a second default.
SETTINGS_FIELDS = (
    "name",
    "url",
    "instructions",
    "hipaa_compliant",
    "baa_signed",
    "waiting_room_enabled",
)


@dataclass(frozen=True)
class Platform:
    """A telehealth location's settings; None leaves a field unchanged on update."""

    name: str | None = None
    url: str | None = None
    instructions: str | None = None
    hipaa_compliant: bool | None = None
    baa_signed: bool | None = None
    waiting_room_enabled: bool | None = None


def check_secure_link(url: str) -> str:
    """A valid https:// URL with a host; anything else is INSECURE_TELEHEALTH_LINK."""
    link = url.strip()
    try:
        parts = urlsplit(link)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        host = None
        parts = None
    if (
        parts is None
        or parts.scheme.lower() != "https"
        or not host
        or len(link) > URL_MAX
        or any(ch.isspace() for ch in link)
    ):
        raise RuleViolation(
            ErrorCode.INSECURE_TELEHEALTH_LINK,
            "Use a valid https:// link with a host for telehealth.",
            "url",
        )
    return link


def check_compliance(location: TelehealthLocation) -> None:
    if not (location.hipaa_compliant and location.baa_signed and location.waiting_room_enabled):
        raise RuleViolation(
            ErrorCode.NON_COMPLIANT_PLATFORM,
            "The platform must be HIPAA compliant, with a signed BAA and a waiting room.",
        )


def _apply(location: TelehealthLocation, platform: Platform) -> None:
    if platform.name is not None:
        location.name = clean_text(platform.name, "name", max_length=120, what="a platform name")
    if platform.instructions is not None:
        location.instructions = clean_optional_text(  # type: ignore[assignment]
            platform.instructions, "instructions", max_length=2000, multiline=True
        )
    for attribute in ("hipaa_compliant", "baa_signed", "waiting_room_enabled"):
        value = getattr(platform, attribute)
        if value is not None:
            setattr(location, attribute, value)
    if platform.url is not None:
        location.url = check_secure_link(platform.url)
    check_compliance(location)


async def _make_default(location: TelehealthLocation) -> None:
    await (
        TelehealthLocation.filter(provider_id=location.provider_id)
        .exclude(id=location.id)
        .update(is_default=False)
    )
    location.is_default = True
    await location.save(update_fields=["is_default"])


async def add_location(actor: Actor, platform: Platform, make_default: bool) -> TelehealthLocation:
    provider = await own_provider(actor)
    location = TelehealthLocation(provider_id=provider.id, is_default=False)
    for required in ("name", "url"):
        if getattr(platform, required) is None:
            raise RuleViolation(ErrorCode.VALIDATION, "This field is required.", required)
    _apply(location, platform)
    async with in_transaction():
        await lock_provider(provider.id)  # one default at a time, as bookings read it
        has_default = await TelehealthLocation.filter(
            provider_id=provider.id, is_default=True
        ).exists()
        await location.save()
        if make_default or not has_default:
            await _make_default(location)
        await refresh_reminders(provider.id)
        await audit.record(
            actor.user_id, "add_telehealth_location", "TelehealthLocation", location.id
        )
    return location


async def _managed_location(actor: Actor, location_id: int | None) -> TelehealthLocation:
    """The caller's own location. Their group's admins see it, but changing where clients
    join a session is the provider's call (FORBIDDEN); anyone else: NOT_FOUND."""
    actor.require_user()
    location = await TelehealthLocation.get_or_none(id=location_id) if location_id else None
    provider = await Provider.get_or_none(id=location.provider_id) if location else None
    if location is None or provider is None:
        raise not_found("telehealth location", "telehealthLocationId")
    facts = await actor.facts()
    if not visibility.manages_provider(facts, provider):
        raise not_found("telehealth location", "telehealthLocationId")
    if not visibility.is_own_provider(facts, provider):
        raise RuleViolation(
            ErrorCode.FORBIDDEN, "Only the provider changes their telehealth locations."
        )
    return location


async def update_location(
    actor: Actor, location_id: int | None, platform: Platform, make_default: bool | None
) -> TelehealthLocation:
    location = await _managed_location(actor, location_id)
    _apply(location, platform)
    async with in_transaction():
        await lock_provider(location.provider_id)
        current = await TelehealthLocation.get_or_none(id=location.id)  # as it is now
        if current is None:  # removed meanwhile
            raise not_found("telehealth location", "telehealthLocationId")
        location.is_default = current.is_default
        await location.save(update_fields=list(SETTINGS_FIELDS))
        if make_default:
            await _make_default(location)
        await refresh_reminders(location.provider_id)
        await audit.record(
            actor.user_id, "update_telehealth_location", "TelehealthLocation", location.id
        )
    return location


async def remove_location(actor: Actor, location_id: int | None) -> None:
    """Removing the default promotes the oldest remaining location, if any."""
    location = await _managed_location(actor, location_id)
    async with in_transaction():
        await lock_provider(location.provider_id)
        current = await TelehealthLocation.get_or_none(id=location.id)  # as it is now
        if current is None:  # removed meanwhile
            raise not_found("telehealth location", "telehealthLocationId")
        await current.delete()
        if current.is_default:
            successor = (
                await TelehealthLocation.filter(provider_id=location.provider_id)
                .order_by("id")
                .first()
            )
            if successor is not None:
                await _make_default(successor)
        await refresh_reminders(location.provider_id)
        await audit.record(
            actor.user_id, "remove_telehealth_location", "TelehealthLocation", location.id
        )
