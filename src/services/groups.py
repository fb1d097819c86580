"""Group practices: owners and admins, team membership, archiving and removal, payouts."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from carepath.clock import utcnow
from carepath.models import Group, GroupMembership, Payout, Provider, ProviderRemovalRequest, User
from carepath.models.enums import (
    GroupRole,
    IntakeMode,
    PayoutStatus,
    ProviderStatus,
    RemovalStatus,
)
from carepath.services import audit
from carepath.services.actor import Actor
from carepath.services.appointments import lock_provider
from carepath.services.errors import ErrorCode, RuleViolation, not_found
from carepath.services.guards import (
    clean_time_zone,
    own_provider,
    require_group_admin,
    require_staff,
    require_verified,
    visible_provider,
)
from carepath.services.providers import save_new_provider
from carepath.services.validation import clean_email, clean_text, email_key

HIDDEN = (ProviderStatus.ARCHIVED, ProviderStatus.REMOVAL_REQUESTED, ProviderStatus.REMOVED)


@dataclass(frozen=True)
class NewGroupProvider:
    email: str
    display_name: str
    intake_mode: IntakeMode
    time_zone: str


def _already_member(message: str) -> RuleViolation:
    return RuleViolation(ErrorCode.ALREADY_MEMBER, message, "email")


async def _group(group_id: int | None) -> Group:
    group = await Group.get_or_none(id=group_id) if group_id else None
    if group is None:
        raise not_found("group", "groupId")
    return group


async def _verified_account(email: str) -> User:
    user = await User.get_or_none(email_key=email_key(clean_email(email)))
    if user is None:
        raise RuleViolation(
            ErrorCode.ACCOUNT_NOT_FOUND, "No account has that email address.", "email"
        )
    if user.email_verified_at is None:
        raise RuleViolation(
            ErrorCode.ACCOUNT_NOT_VERIFIED,
            "That account has not verified its email address yet.",
            "email",
        )
    return user


async def create_group(actor: Actor, name: str) -> Group:
    """A provider with no group creates one, becomes its owner, and joins it."""
    user = actor.require_user()
    require_verified(user)
    facts = await actor.facts()
    if facts.provider_id is None:
        raise RuleViolation(ErrorCode.FORBIDDEN, "Only providers can create a group practice.")
    provider = await own_provider(actor)
    if provider.group_id is not None:
        raise RuleViolation(ErrorCode.ALREADY_MEMBER, "You already belong to a group practice.")
    name = clean_text(name, "name", max_length=200, what="the group's name")
    async with in_transaction():
        group = await Group.create(name=name, owner_id=user.id)
        await GroupMembership.create(group_id=group.id, user_id=user.id, role=GroupRole.OWNER)
        joined = await Provider.filter(id=provider.id, group_id=None).update(group_id=group.id)
        if joined != 1:  # joined another group meanwhile
            raise RuleViolation(ErrorCode.ALREADY_MEMBER, "You already belong to a group practice.")
        await audit.record(user.id, "create_group", "Group", group.id)
    return group


async def add_provider_to_group(
    actor: Actor, group_id: int | None, new: NewGroupProvider
) -> Provider:
    actor.require_user()
    group = await _group(group_id)
    require_group_admin(await actor.facts(), group.id)
    display_name = clean_text(
        new.display_name, "displayName", max_length=200, what="a display name"
    )
    time_zone = clean_time_zone(new.time_zone)
    user = await _verified_account(new.email)
    provider = await Provider.get_or_none(user_id=user.id)
    if provider is not None and provider.group_id is not None:
        raise _already_member("That provider already belongs to a group practice.")
    async with in_transaction():
        provider = await _join(group, user, provider, display_name, time_zone, new.intake_mode)
        await audit.record(actor.user_id, "add_provider_to_group", "Provider", provider.id)
    return provider


async def _join(
    group: Group,
    user: User,
    provider: Provider | None,
    display_name: str,
    time_zone: str,
    intake_mode: IntakeMode,
) -> Provider:
    """A new provider profile in the group, or the solo one joining it."""
    if provider is None:
        provider = Provider(
            user_id=user.id,
            display_name=display_name,
            intake_mode=intake_mode,
            time_zone=time_zone,
            offers_telehealth=True,
            offers_in_person=False,
            status=ProviderStatus.ACTIVE,
            group_id=group.id,
        )
        await save_new_provider(provider)
    else:
        # A solo provider joins with their profile; a removed one comes back active.
        joined = await Provider.filter(id=provider.id, group_id=None).update(
            group_id=group.id, status=ProviderStatus.ACTIVE
        )
        if joined != 1:
            raise _already_member("That provider already belongs to a group practice.")
        await provider.refresh_from_db()
    return provider


async def add_group_admin(actor: Actor, group_id: int | None, email: str) -> Group:
    actor.require_user()
    group = await _group(group_id)
    require_group_admin(await actor.facts(), group.id)
    user = await _verified_account(email)
    if await GroupMembership.filter(group_id=group.id, user_id=user.id).exists():
        raise _already_member("That account already administers this group.")
    try:
        async with in_transaction():
            await GroupMembership.create(group_id=group.id, user_id=user.id, role=GroupRole.ADMIN)
            await audit.record(actor.user_id, "add_group_admin", "Group", group.id)
    except IntegrityError as exc:  # a concurrent addGroupAdmin added them first
        raise _already_member("That account already administers this group.") from exc
    return group


async def _administered_provider(actor: Actor, provider_id: int | None) -> Provider:
    actor.require_user()
    provider = await visible_provider(actor, provider_id, "providerId")
    require_group_admin(await actor.facts(), provider.group_id)
    return provider


async def _set_status(
    provider: Provider, allowed: tuple[ProviderStatus, ...], to: ProviderStatus
) -> None:
    """The check and the write in one statement, so that a concurrent change of status
    (a removal requested or completed meanwhile) is never overwritten."""
    changed = await Provider.filter(id=provider.id, status__in=allowed).update(status=to)
    if changed != 1:
        await provider.refresh_from_db(fields=["status"])
        raise RuleViolation(
            ErrorCode.INVALID_STATUS, f"A provider who is {provider.status} cannot become {to}."
        )
    provider.status = to


async def archive_provider(actor: Actor, provider_id: int | None) -> Provider:
    provider = await _administered_provider(actor, provider_id)
    async with in_transaction():
        await _set_status(
            provider, (ProviderStatus.ACTIVE, ProviderStatus.ARCHIVED), ProviderStatus.ARCHIVED
        )
        await audit.record(actor.user_id, "archive_provider", "Provider", provider.id)
    return provider


async def unarchive_provider(actor: Actor, provider_id: int | None) -> Provider:
    provider = await _administered_provider(actor, provider_id)
    async with in_transaction():
        await _set_status(
            provider, (ProviderStatus.ACTIVE, ProviderStatus.ARCHIVED), ProviderStatus.ACTIVE
        )
        await audit.record(actor.user_id, "unarchive_provider", "Provider", provider.id)
    return provider


async def request_removal(actor: Actor, provider_id: int | None) -> ProviderRemovalRequest:
    """Only once the group has received its last payout for this provider's sessions."""
    provider = await _administered_provider(actor, provider_id)
    async with in_transaction():
        # Under the provider's lock, which confirmSession also takes: no payout can
        # appear between this check and the status change.
        await lock_provider(provider.id)
        await provider.refresh_from_db()
        assert provider.group_id is not None
        if await Payout.filter(provider_id=provider.id, status=PayoutStatus.PENDING).exists():
            raise RuleViolation(
                ErrorCode.PENDING_PAYOUTS,
                "The group has payouts pending for this provider's sessions.",
                "providerId",
            )
        existing = await ProviderRemovalRequest.get_or_none(
            provider_id=provider.id, status=RemovalStatus.PENDING
        )
        if existing is not None:
            return existing
        await _set_status(
            provider,
            (ProviderStatus.ACTIVE, ProviderStatus.ARCHIVED),
            ProviderStatus.REMOVAL_REQUESTED,
        )
        request = await ProviderRemovalRequest.create(
            provider_id=provider.id, group_id=provider.group_id, requested_by_id=actor.user_id
        )
        await audit.record(actor.user_id, "request_provider_removal", "Provider", provider.id)
    return request


async def complete_removal(actor: Actor, request_id: int | None) -> ProviderRemovalRequest:
    """Staff: the provider is REMOVED and leaves the group; its history stays with the group."""
    actor.require_user()
    require_staff(await actor.facts())
    request = await ProviderRemovalRequest.get_or_none(id=request_id) if request_id else None
    if request is None:
        raise not_found("removal request", "removalRequestId")
    not_awaiting = RuleViolation(
        ErrorCode.INVALID_STATUS, "This removal is not awaiting completion."
    )
    async with in_transaction():  # each status as expected when written, or nothing
        now = utcnow()
        completed = await ProviderRemovalRequest.filter(
            id=request.id, status=RemovalStatus.PENDING
        ).update(status=RemovalStatus.COMPLETED, completed_at=now)
        removed = await Provider.filter(
            id=request.provider_id, status=ProviderStatus.REMOVAL_REQUESTED
        ).update(status=ProviderStatus.REMOVED, group_id=None)
        if completed != 1 or removed != 1:
            raise not_awaiting
        request.status, request.completed_at = RemovalStatus.COMPLETED, now
        await audit.record(
            actor.user_id, "complete_provider_removal", "Provider", request.provider_id
        )
    return request


async def mark_payouts_paid(actor: Actor, provider_id: int | None) -> list[Payout]:
    actor.require_user()
    require_staff(await actor.facts())
    provider = await Provider.get_or_none(id=provider_id) if provider_id else None
    if provider is None:
        raise not_found("provider", "providerId")
    async with in_transaction():
        pending = await Payout.filter(provider_id=provider.id, status=PayoutStatus.PENDING)
        ids = [p.id for p in pending]
        await Payout.filter(id__in=ids, status=PayoutStatus.PENDING).update(  # paid once
            status=PayoutStatus.PAID, paid_at=utcnow()
        )
        await audit.record(actor.user_id, "mark_payouts_paid", "Provider", provider.id)
    return list(await Payout.filter(id__in=ids).order_by("id"))
