"""Guards shared by the services: visibility first, then authority (RULES.md "Precedence")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from carepath.models import Appointment, Client, Provider, RosterEntry, User
from carepath.models.enums import RosterStatus
from carepath.services import visibility
from carepath.services.actor import Actor, ActorFacts
from carepath.services.errors import ErrorCode, RuleViolation, not_found, validation


def require_verified(user: User) -> None:
    if user.email_verified_at is None:
        raise RuleViolation(
            ErrorCode.EMAIL_NOT_VERIFIED, "Verify your email address first (see the link we sent)."
        )


def require_staff(facts: ActorFacts) -> None:
    if not facts.is_staff:
        raise RuleViolation(ErrorCode.FORBIDDEN, "Only Carepath staff can do this.")


async def visible_provider(actor: Actor, provider_id: int | None, field: str) -> Provider:
    provider = await Provider.get_or_none(id=provider_id) if provider_id else None
    if provider is None or not visibility.can_see_provider(await actor.facts(), provider):
        raise not_found("provider", field)
    return provider


def require_manager(facts: ActorFacts, provider: Provider) -> None:
    """The provider themself or their group's admins; each other caller gets its own code."""
    if visibility.manages_provider(facts, provider):
        return
    if facts.admin_group_ids:
        raise RuleViolation(ErrorCode.NOT_IN_GROUP, "You do not administer this provider's group.")
    if facts.provider_id is not None:
        raise RuleViolation(ErrorCode.FORBIDDEN, "This is another provider's practice.")
    raise RuleViolation(ErrorCode.PROVIDER_ONLY, "Only the provider or their group can do this.")


def require_group_admin(facts: ActorFacts, group_id: int | None) -> None:
    if not visibility.administers_group(facts, group_id):
        raise RuleViolation(ErrorCode.NOT_IN_GROUP, "You do not administer this group.")


async def own_provider(actor: Actor) -> Provider:
    """The caller's provider profile; a client without one gets PROVIDER_ONLY."""
    actor.require_user()
    facts = await actor.facts()
    provider = await Provider.get_or_none(id=facts.provider_id) if facts.provider_id else None
    if provider is None:
        raise RuleViolation(ErrorCode.PROVIDER_ONLY, "Only providers can do this.")
    return provider


async def rostered_by(client_id: int) -> list[tuple[int, int | None, RosterStatus]]:
    """(provider id, provider's group id, status) of every roster entry of the client."""
    entries = await RosterEntry.filter(client_id=client_id).select_related("provider")
    return [(e.provider_id, e.provider.group_id, RosterStatus(e.status)) for e in entries]


async def booked_in_groups(client_ids: Sequence[int]) -> dict[int, list[tuple[int, int]]]:
    """(provider id, group id) of the clients' appointments booked in a group practice.

    The group's records keep them after the provider leaves, and so its admins still
    see who each one was with.
    """
    rows = (
        await Appointment.filter(client_id__in=list(set(client_ids)), group_id__not_isnull=True)
        .distinct()
        .values_list("client_id", "provider_id", "group_id")
    )
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for client_id, provider_id, group_id in rows:
        found[client_id].append((provider_id, group_id))
    return found


async def visible_client(actor: Actor, client_id: int | None, field: str) -> Client:
    client = await Client.get_or_none(id=client_id) if client_id else None
    if client is None:
        raise not_found("client", field)
    facts = await actor.facts()
    seen_under: list[tuple[int, int | None]] = [(p, g) for p, g, _ in await rostered_by(client.id)]
    if facts.admin_group_ids:
        seen_under += (await booked_in_groups([client.id]))[client.id]
    if not visibility.can_see_client(facts, client.id, seen_under):
        raise not_found("client", field)
    return client


async def require_care_team(actor: Actor, client: Client) -> None:
    """Changes to a client: the client, or a provider (or their admins) on an ACTIVE roster."""
    facts = await actor.facts()
    if facts.client_id == client.id:
        return
    entries = await rostered_by(client.id)
    active = [
        (provider_id, group_id)
        for provider_id, group_id, status in entries
        if status == RosterStatus.ACTIVE
    ]
    if not visibility.can_see_client(facts, client.id, active):
        raise RuleViolation(
            ErrorCode.FORBIDDEN, "This client is archived on your roster: re-activate them first."
        )


def clean_time_zone(value: str, field: str = "timeZone") -> str:
    name = value.strip()
    if not name or len(name) > 64 or name.lower() == "localtime":
        raise validation(field, "Use an IANA time zone name, like America/New_York.")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise validation(field, "Use an IANA time zone name, like America/New_York.") from exc
    return name
