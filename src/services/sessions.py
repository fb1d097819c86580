"""Bearer tokens to actors: expiry, idle timeout (automatic logoff) and revocation."""

from __future__ import annotations

from datetime import timedelta

from carepath.clock import utcnow
from carepath.models import AuthSession
from carepath.services.actor import Actor, anonymous
from carepath.services.errors import InvalidBearerToken
from carepath.services.security import token_digest
from carepath.settings import Settings

# Refresh last_seen_at at most this often, so reads do not each cost a write.
SEEN_RESOLUTION = timedelta(seconds=30)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value; '' when the header is malformed."""
    if authorization is None or authorization.strip() == "":
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


async def authenticate(settings: Settings, token: str | None) -> Actor:
    """No token is anonymous; a bad one raises InvalidBearerToken, whatever was asked."""
    if token is None:
        return anonymous()
    if not token:
        raise InvalidBearerToken()
    session = await AuthSession.get_or_none(
        token_hash=token_digest(settings.secret_key, token)
    ).prefetch_related("user")
    if session is None or not session_is_live(settings, session):
        raise InvalidBearerToken()
    now = utcnow()
    if now - session.last_seen_at >= SEEN_RESOLUTION:
        await AuthSession.filter(id=session.id).update(last_seen_at=now)
        session.last_seen_at = now
    return Actor(user=session.user, session=session)


def session_is_live(settings: Settings, session: AuthSession) -> bool:
    """Not revoked, not expired, and used within the idle timeout."""
    now = utcnow()
    idle_limit = timedelta(minutes=settings.idle_timeout_minutes)
    return (
        session.revoked_at is None
        and session.expires_at > now
        and now - session.last_seen_at < idle_limit
    )
