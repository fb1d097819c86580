"""Who may see what (RULES.md "Who is who"), as pure functions of the actor's facts.

Both the GraphQL fields and the services decide visibility here, so the rule lives once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from tortoise.expressions import Q

from carepath.models import Conversation, Provider, WebhookEndpoint
from carepath.models.enums import ProviderStatus
from carepath.services.actor import ActorFacts


def administers_group(facts: ActorFacts, group_id: int | None) -> bool:
    return group_id is not None and group_id in facts.admin_group_ids


def is_own_provider(facts: ActorFacts, provider: Provider) -> bool:
    return facts.provider_id is not None and provider.id == facts.provider_id


def manages_provider(facts: ActorFacts, provider: Provider) -> bool:
    """The provider themself or an owner/admin of their group: the practice-side view."""
    return is_own_provider(facts, provider) or administers_group(facts, provider.group_id)


def can_see_provider(facts: ActorFacts, provider: Provider) -> bool:
    """Active providers are public; the rest only to themselves, their admins and staff."""
    return (
        provider.status == ProviderStatus.ACTIVE
        or manages_provider(facts, provider)
        or facts.is_staff
    )


def sees_unverified_credentials(facts: ActorFacts, provider: Provider) -> bool:
    """Pending or rejected licenses and credentials: the provider, their admins, staff."""
    return manages_provider(facts, provider) or facts.is_staff


def can_see_user(
    facts: ActorFacts, user_id: int, is_staff: bool, is_provider: bool, admin_of: Iterable[int]
) -> bool:
    """An account: itself; the owner/admins of a group to its fellow admins and the group's
    providers; staff see practitioners' and admins' accounts, never a plain client's."""
    if facts.user_id == user_id:
        return True
    groups = set(admin_of)
    if groups & (facts.admin_group_ids | {facts.provider_group_id}):
        return True
    return facts.is_staff and (is_staff or is_provider or bool(groups))


def can_see_client(
    facts: ActorFacts, client_id: int, rostered_by: Iterable[tuple[int, int | None]]
) -> bool:
    """The client themself, or a provider (or their group's admins) with them on a roster.

    `rostered_by` holds (provider id, provider's group id) of every roster entry, active
    or archived, and for group admins also (provider id, group id) of the client's
    appointments booked in a group (the group's records outlive a provider's removal).
    """
    if facts.client_id == client_id:
        return True
    return any(
        provider_id == facts.provider_id or administers_group(facts, group_id)
        for provider_id, group_id in rostered_by
    )


def sees_roster_invitations(facts: ActorFacts, client_id: int) -> bool:
    """Who invited a client is the client's to know: never the providers, their admins or
    staff (an invitation does not put the client in anyone's care)."""
    return facts.client_id == client_id


class AppointmentParties(Protocol):
    """An appointment as the rules read it: a model, or a list page's lighter row."""

    @property
    def client_id(self) -> int: ...
    @property
    def provider_id(self) -> int: ...
    @property
    def group_id(self) -> int | None: ...


def can_see_appointment(facts: ActorFacts, appointment: AppointmentParties) -> bool:
    """Its client and provider, the admins of the group it was booked in, and staff."""
    return (
        appointment.client_id == facts.client_id
        or appointment.provider_id == facts.provider_id
        or administers_group(facts, appointment.group_id)
        or facts.is_staff
    )


def is_party_to_appointment(facts: ActorFacts, appointment: AppointmentParties) -> bool:
    """Telehealth links go to the appointment's own client and provider only."""
    return appointment.client_id == facts.client_id or appointment.provider_id == facts.provider_id


def can_see_conversation(facts: ActorFacts, conversation: Conversation) -> bool:
    """Only its two parties: never group admins, never staff."""
    return (
        conversation.client_id == facts.client_id or conversation.provider_id == facts.provider_id
    )


def visible_appointments_filter(facts: ActorFacts) -> Q:
    """The appointments this actor may see, as a query filter (see can_see_appointment)."""
    if facts.is_staff:
        return Q()
    allowed = Q(id=-1)
    if facts.client_id is not None:
        allowed |= Q(client_id=facts.client_id)
    if facts.provider_id is not None:
        allowed |= Q(provider_id=facts.provider_id)
    if facts.admin_group_ids:
        allowed |= Q(group_id__in=list(facts.admin_group_ids))
    return allowed


def owns_webhook_endpoint(facts: ActorFacts, endpoint: WebhookEndpoint) -> bool:
    """A provider's endpoint: that provider only (not their group's admins); a group's: its
    owner and admins. Nobody else, staff included, sees an endpoint or its deliveries."""
    if endpoint.provider_id is not None:
        return endpoint.provider_id == facts.provider_id
    return administers_group(facts, endpoint.group_id)
