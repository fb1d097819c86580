"""The acting user, resolved once per request and passed to every service."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from carepath.models import AuthSession, User
from carepath.models.enums import Role
from carepath.services.errors import AuthenticationRequired
from carepath.services.joined import fetch, placeholders


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
    _loading: asyncio.Future[ActorFacts] | None = field(default=None, repr=False)

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
        """Loaded once per request (one query), refreshed after a role change.

        Sibling fields ask concurrently: they share the one pending load rather than each
        starting their own before the first has finished.
        """
        if self.user is None:
            return NO_FACTS
        if self._facts is not None:
            return self._facts
        if self._loading is None:
            self._loading = asyncio.ensure_future(load_facts(self.user))
        loading = self._loading
        facts = await asyncio.shield(loading)
        if self._loading is loading:  # not forgotten meanwhile
            self._facts, self._loading = facts, None
        return facts

    @property
    def known_facts(self) -> ActorFacts | None:
        """The facts when this request has them already, without waiting (None otherwise)."""
        return NO_FACTS if self.user is None else self._facts

    def know_facts(self, facts: ActorFacts) -> None:
        """Facts read along with the session (services.sessions), saving the query."""
        self._facts, self._loading = facts, None

    def forget_facts(self) -> None:
        self._facts, self._loading = None, None


# Every row is the user with one of their memberships (or none): one statement in all.
FACTS_JOINS = """
LEFT JOIN providers p ON p.user_id = u.id
LEFT JOIN clients c ON c.user_id = u.id
LEFT JOIN group_memberships m ON m.user_id = u.id"""
FACTS_COLUMNS = (
    "p.id AS f_provider_id, p.group_id AS f_provider_group_id, "
    "c.id AS f_client_id, m.group_id AS f_group_id"
)


def facts_from_rows(user: User, rows: Iterable[Mapping[str, Any]]) -> ActorFacts:
    """ActorFacts from the FACTS_COLUMNS of the user's rows."""
    rows = list(rows)
    first = rows[0] if rows else {}
    return ActorFacts(
        user_id=user.id,
        is_staff=user.is_staff,
        provider_id=first.get("f_provider_id"),
        provider_group_id=first.get("f_provider_group_id"),
        client_id=first.get("f_client_id"),
        admin_group_ids=frozenset(r["f_group_id"] for r in rows if r.get("f_group_id") is not None),
    )


async def load_facts(user: User) -> ActorFacts:
    (marker,) = placeholders(User._choose_db(), 1)
    sql = f"SELECT {FACTS_COLUMNS} FROM users u {FACTS_JOINS} WHERE u.id = {marker}"  # noqa: S608
    return facts_from_rows(user, await fetch(User, sql, [user.id]))


def anonymous() -> Actor:
    return Actor()
