"""Bearer tokens to actors: expiry, idle timeout (automatic logoff) and revocation."""

from __future__ import annotations

from datetime import datetime, timedelta

from carepath.clock import utcnow
from carepath.models import AuthSession, User
from carepath.services.actor import FACTS_COLUMNS, FACTS_JOINS, Actor, anonymous, facts_from_rows
from carepath.services.errors import InvalidBearerToken
from carepath.services.joined import columns, fetch, hydrate, placeholders
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
    actor = await _session_actor(token_digest(settings.secret_key, token))
    if actor is None or actor.session is None or not session_is_live(settings, actor.session):
        raise InvalidBearerToken()
    await mark_seen(actor.session)
    return actor


async def _session_actor(token_hash: str) -> Actor | None:
    """The session, its user and the user's facts, in one statement."""
    (marker,) = placeholders(AuthSession._choose_db(), 1)
    sql = (
        f"SELECT {columns(AuthSession, 's', 's_')}, {columns(User, 'u', 'u_')}, {FACTS_COLUMNS} "  # noqa: S608
        f"FROM auth_sessions s JOIN users u ON u.id = s.user_id {FACTS_JOINS} "
        f"WHERE s.token_hash = {marker}"
    )
    rows = await fetch(AuthSession, sql, [token_hash])
    if not rows:
        return None
    session, user = hydrate(AuthSession, rows[0], "s_"), hydrate(User, rows[0], "u_")
    actor = Actor(user=user, session=session)
    actor.know_facts(facts_from_rows(user, rows))
    return actor


async def mark_seen(session: AuthSession) -> None:
    """Use keeps a session from idling out; written at most once per SEEN_RESOLUTION."""
    now = utcnow()
    if now - session.last_seen_at >= SEEN_RESOLUTION:
        await AuthSession.filter(id=session.id).update(last_seen_at=now)
        session.last_seen_at = now


def session_is_live(settings: Settings, session: AuthSession) -> bool:
    """Not revoked, not expired, and used within the idle timeout."""
    return why_ended(settings, session) is None


def why_ended(settings: Settings, session: AuthSession) -> str | None:
    """None for a live session, else a short reason fit for a close frame or a log line."""
    now = utcnow()
    if session.revoked_at is not None:
        return "Session revoked"
    if session.expires_at <= now:
        return "Session expired"
    if now - session.last_seen_at >= timedelta(minutes=settings.idle_timeout_minutes):
        return "Session idle timeout"
    return None


def live_until(settings: Settings, session: AuthSession) -> datetime:
    """When the session will expire or idle out, unless it is used meanwhile."""
    idle = session.last_seen_at + timedelta(minutes=settings.idle_timeout_minutes)
    return min(session.expires_at, idle)
