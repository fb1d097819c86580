"""Provider rosters, transfers between a group's clinicians, and a client's own details."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from carepath.clock import utcnow
from carepath.models import (
    Client,
    ClientLocation,
    Insurance,
    Provider,
    RosterEntry,
    RosterInvitation,
    User,
)
from carepath.models.enums import ProviderStatus, RosterStatus, UsState
from carepath.notifications import emails, outbox
from carepath.services import audit, visibility, webhook_events
from carepath.services.actor import Actor
from carepath.services.appointments import lock_provider
from carepath.services.errors import ErrorCode, RuleViolation, validation
from carepath.services.guards import (
    require_care_team,
    require_group_admin,
    require_manager,
    visible_client,
    visible_provider,
)
from carepath.services.rows import get_or_insert
from carepath.services.validation import clean_email, clean_optional_text, clean_text, email_key
from carepath.settings import Settings


async def activate_on_roster(provider_id: int, client_id: int) -> RosterEntry:
    """Adds the client to the roster, or re-activates an archived entry (one row per pair).

    Joining the roster by any path (acceptance, booking link, transfer) settles a pending
    invitation of the pair: run it inside the caller's transaction.
    """
    await RosterInvitation.filter(provider_id=provider_id, client_id=client_id).delete()
    entry = await get_or_insert(RosterEntry, provider_id=provider_id, client_id=client_id)
    if entry.status != RosterStatus.ACTIVE:
        entry.status = RosterStatus.ACTIVE
        entry.archived_at = None
        await entry.save(update_fields=["status", "archived_at"])
    return entry


async def _archive(provider_id: int, client_id: int) -> None:
    archived = await RosterEntry.filter(
        provider_id=provider_id, client_id=client_id, status=RosterStatus.ACTIVE
    ).update(status=RosterStatus.ARCHIVED, archived_at=utcnow())
    if archived != 1:
        raise RuleViolation(
            ErrorCode.NOT_ON_ROSTER,
            "The client is not on this provider's active roster.",
            "clientId",
        )


async def add_client_to_roster(
    actor: Actor, settings: Settings, provider_id: int | None, email: str
) -> tuple[Provider, Client | None]:
    """Recognises an existing client account by email. A client already in care with the
    provider or their group joins at once; anyone else is invited, and the client is then
    None: the provider learns nothing of them until they accept."""
    actor.require_user()
    provider = await visible_provider(actor, provider_id, "providerId")
    require_manager(await actor.facts(), provider)
    user = await User.get_or_none(email_key=email_key(clean_email(email)))
    client = await Client.get_or_none(user_id=user.id) if user else None
    if user is None or client is None:
        raise RuleViolation(
            ErrorCode.ACCOUNT_NOT_FOUND, "No client account has that email address.", "email"
        )
    if not await _in_care_with(provider, client.id):
        await _invite(actor, settings, provider, client, user)
        return provider, None
    async with in_transaction():
        await activate_on_roster(provider.id, client.id)
        await audit.record(actor.user_id, "add_client_to_roster", "Client", client.id)
    return provider, client


async def _in_care_with(provider: Provider, client_id: int) -> bool:
    """On this provider's roster, or (active or archived) on another of the same group's."""
    same_practice = Q(provider_id=provider.id)
    if provider.group_id is not None:
        same_practice |= Q(provider__group_id=provider.group_id)
    return await RosterEntry.filter(same_practice, client_id=client_id).exists()


async def _invite(
    actor: Actor, settings: Settings, provider: Provider, client: Client, user: User
) -> None:
    """One pending invitation and one email per pair: inviting again changes nothing."""
    async with in_transaction():
        if await RosterInvitation.exists(provider_id=provider.id, client_id=client.id):
            return
        try:
            async with in_transaction():  # a savepoint: a concurrent invite loses quietly
                await RosterInvitation.create(provider_id=provider.id, client_id=client.id)
        except IntegrityError:
            return
        link = f"{settings.public_base_url}/invitations"
        await outbox.enqueue(
            emails.roster_invitation_email(user.email, provider.display_name, link)
        )
        await audit.record(actor.user_id, "invite_client_to_roster", "Client", client.id)


async def respond_to_roster_invitation(
    actor: Actor, provider_id: int | None, accept: bool
) -> tuple[Provider, Client]:
    """The invited client's answer: accepting puts them on the provider's active roster;
    either answer drops the invitation. Anyone without one gets NOT_FOUND."""
    actor.require_user()
    facts = await actor.facts()
    provider = await Provider.get_or_none(id=provider_id) if provider_id else None
    client = await Client.get_or_none(id=facts.client_id) if facts.client_id else None
    no_invitation = RuleViolation(
        ErrorCode.NOT_FOUND, "You have no pending invitation from that provider.", "providerId"
    )
    if provider is None or client is None or not visibility.can_see_provider(facts, provider):
        raise no_invitation
    async with in_transaction():
        dropped = await RosterInvitation.filter(
            provider_id=provider.id, client_id=client.id
        ).delete()
        if not dropped:
            raise no_invitation
        if accept:
            await activate_on_roster(provider.id, client.id)
        action = "accept_roster_invitation" if accept else "decline_roster_invitation"
        await audit.record(actor.user_id, action, "Provider", provider.id)
    return provider, client


async def archive_client(
    actor: Actor, provider_id: int | None, client_id: int | None
) -> tuple[Provider, Client]:
    actor.require_user()
    provider = await visible_provider(actor, provider_id, "providerId")
    client = await visible_client(actor, client_id, "clientId")
    require_manager(await actor.facts(), provider)
    async with in_transaction():
        await _archive(provider.id, client.id)
        await audit.record(actor.user_id, "archive_client", "Client", client.id)
    return provider, client


async def transfer_client(
    actor: Actor, client_id: int | None, from_provider_id: int | None, to_provider_id: int | None
) -> tuple[Provider, Client]:
    """Archive on one provider and add on another of the same group, in one transaction."""
    actor.require_user()
    source = await visible_provider(actor, from_provider_id, "fromProviderId")
    target = await visible_provider(actor, to_provider_id, "toProviderId")
    client = await visible_client(actor, client_id, "clientId")
    facts = await actor.facts()
    require_group_admin(facts, source.group_id)
    require_group_admin(facts, target.group_id)
    if source.group_id != target.group_id:
        raise RuleViolation(ErrorCode.NOT_IN_GROUP, "Both providers must be in the same group.")
    if source.id == target.id:
        raise validation("toProviderId", "Transfer the client to another provider.")
    async with in_transaction():
        # Under the receiving provider's lock: not archived or removed meanwhile.
        await lock_provider(target.id)
        if not await Provider.exists(id=target.id, status=ProviderStatus.ACTIVE):
            raise RuleViolation(
                ErrorCode.PROVIDER_ARCHIVED,
                "The receiving provider takes no new clients.",
                "toProviderId",
            )
        await _archive(source.id, client.id)
        await activate_on_roster(target.id, client.id)
        await webhook_events.client_transferred(client.id, source, target)
        await audit.record(actor.user_id, "transfer_client", "Client", client.id)
    return target, client


async def set_insurance(
    actor: Actor, client_id: int | None, payer_name: str, in_network: bool
) -> Client:
    actor.require_user()
    client = await visible_client(actor, client_id, "clientId")
    await require_care_team(actor, client)
    payer = clean_text(payer_name, "payerName", max_length=200, what="the payer's name")
    async with in_transaction():
        updated = await Insurance.filter(client_id=client.id).update(
            payer_name=payer, in_network=in_network
        )
        if not updated:
            await Insurance.create(client_id=client.id, payer_name=payer, in_network=in_network)
        await audit.record(actor.user_id, "set_insurance", "Client", client.id)
    return client


async def add_client_location(
    actor: Actor, client_id: int | None, state: UsState, label: str | None
) -> ClientLocation:
    actor.require_user()
    client = await visible_client(actor, client_id, "clientId")
    await require_care_team(actor, client)
    clean_label = clean_optional_text(label, "label", max_length=120)
    async with in_transaction():
        location = await ClientLocation.create(client_id=client.id, state=state, label=clean_label)
        await audit.record(actor.user_id, "add_client_location", "ClientLocation", location.id)
    return location
