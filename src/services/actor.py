"""The acting user, resolved once per request and passed to every service."""

from __future__ import annotations

from dataclasses import dataclass, field

from carepath.models import AuthSession, Client, GroupMembership, Provider, User
from carepath.models.enums import Role
from carepath.services.errors import AuthenticationRequired


@dataclass(frozen=True)
class ActorFacts:
    """What the actor is, in ids: enough to decide visibility without more queries."""

    user_id: int | None = None
    is_staff: bool = False
    provider_id: int | None = None
    provider_group_id: int | None = None
    client_id: int | None = None
    admin_group_ids: frozenset[int] = frozenset()

    @property
    def roles(self) -> list[Role]:
        roles = []
        if self.client_id is not None:
            roles.append(Role.CLIENT)
        if self.provider_id is not None:
            roles.append(Role.PROVIDER)
        if self.admin_group_ids:
            roles.append(Role.GROUP_ADMIN)
        if self.is_staff:
            roles.append(Role.STAFF)
        return roles


NO_FACTS = ActorFacts()


@dataclass
class Actor:
    user: User | None = None
    session: AuthSession | None = None
    _facts: ActorFacts | None = field(default=None, repr=False)

    @property
    def is_anonymous(self) -> bool:
        return self.user is None

    @property
    def is_staff(self) -> bool:
        return self.user is not None and self.user.is_staff

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    def require_user(self) -> User:
        """The signed-in user, or AuthenticationRequired for an anonymous caller."""
        if self.user is None:
            raise AuthenticationRequired()
        return self.user

    async def facts(self) -> ActorFacts:
        """Loaded once per request (three small queries), refreshed after a role change."""
        if self.user is None:
            return NO_FACTS
        if self._facts is None:
            self._facts = await load_facts(self.user)
        return self._facts

    def forget_facts(self) -> None:
        self._facts = None


async def load_facts(user: User) -> ActorFacts:
    provider = await Provider.get_or_none(user_id=user.id).only("id", "group_id")
    client = await Client.get_or_none(user_id=user.id).only("id")
    memberships = await GroupMembership.filter(user_id=user.id).only("group_id")
    return ActorFacts(
        user_id=user.id,
        is_staff=user.is_staff,
        provider_id=provider.id if provider else None,
        provider_group_id=provider.group_id if provider else None,
        client_id=client.id if client else None,
        admin_group_ids=frozenset(m.group_id for m in memberships),
    )


def anonymous() -> Actor:
    return Actor()
