"""The acting user, resolved once per request and passed to every service."""

from __future__ import annotations

from dataclasses import dataclass

from carepath.models import AuthSession, User
from carepath.services.errors import AuthenticationRequired


@dataclass(frozen=True)
class Actor:
    user: User | None = None
    session: AuthSession | None = None

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


ANONYMOUS = Actor()
