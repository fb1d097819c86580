"""Accounts: sign-up, email verification, log-in and -out, password reset, staff creation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from carepath.clock import utcnow
from carepath.events.bus import Publish
from carepath.models import AccountToken, AuthSession, Client, User
from carepath.models.enums import TokenPurpose
from carepath.notifications import emails, outbox
from carepath.services import audit
from carepath.services.actor import Actor
from carepath.services.errors import ErrorCode, RuleViolation
from carepath.services.security import (
    hash_password,
    new_token,
    token_digest,
    verify_password,
)
from carepath.services.throttle import Throttle
from carepath.services.validation import (
    EMAIL_MAX,
    check_password,
    clean_email,
    clean_text,
    email_key,
)
from carepath.settings import Settings


@dataclass(frozen=True)
class IssuedSession:
    user: User
    token: str
    expires_at: datetime


def _email_taken() -> RuleViolation:
    return RuleViolation(
        ErrorCode.EMAIL_TAKEN, "An account with this email address already exists.", "email"
    )


def _rate_limited(message: str) -> RuleViolation:
    """One answer for known and unknown emails alike, so it reveals no account."""
    return RuleViolation(ErrorCode.RATE_LIMITED, message)


async def sign_up(
    settings: Settings,
    throttle: Throttle,
    email: str,
    password: str,
    full_name: str,
    address: str | None,
) -> IssuedSession:
    """A new client account, signed in at once, with a verification email in the outbox."""
    email = clean_email(email)
    name = clean_text(full_name, "fullName", max_length=200, what="your full name")
    check_password(password, email)
    if not await throttle.sign_up_may_proceed(address):
        raise _rate_limited("Too many new accounts from this address. Try again later.")
    if await User.filter(email_key=email_key(email)).exists():
        raise _email_taken()
    password_hash = await hash_password(settings, password)
    try:
        async with in_transaction():
            user = await User.create(
                email=email, email_key=email_key(email), password_hash=password_hash, full_name=name
            )
            await Client.create(user=user)
            await _send_account_link(settings, user, TokenPurpose.VERIFY_EMAIL)
            issued = await _open_session(settings, user)
            await audit.record(user.id, "sign_up", "User", user.id)
    except IntegrityError as exc:  # lost a race with another sign-up for the same email
        raise _email_taken() from exc
    return issued


async def verify_email(settings: Settings, token: str) -> User:
    async with in_transaction():
        record = await _use_account_token(settings, token, TokenPurpose.VERIFY_EMAIL)
        user = await User.get(id=record.user_id)
        if user.email_verified_at is None:
            user.email_verified_at = utcnow()
            await user.save(update_fields=["email_verified_at"])
        await audit.record(user.id, "verify_email", "User", user.id)
    return user


async def log_in(
    settings: Settings, throttle: Throttle, email: str, password: str, address: str | None
) -> IssuedSession:
    """The same INVALID_CREDENTIALS for an unknown email and a wrong password, and the same
    RATE_LIMITED for both once their failed attempts are used up, whatever the password."""
    key = email_key(email)
    if not await throttle.login_may_proceed(key, address):
        raise _rate_limited("Too many sign-in attempts. Wait a few minutes and try again.")
    user = await _account_with(key)
    matched = await verify_password(settings, user.password_hash if user else None, password)
    if user is None or not matched:
        await throttle.login_failed(address)
        raise RuleViolation(ErrorCode.INVALID_CREDENTIALS, "The email or password is wrong.")
    await throttle.login_succeeded(key)
    async with in_transaction():
        issued = await _open_session(settings, user)
        await audit.record(user.id, "log_in", "User", user.id)
    return issued


async def _account_with(key: str) -> User | None:
    """The account of an email key as typed at log-in or reset: a key no address can have
    (too long for one) names no account, rather than failing the lookup."""
    if len(key) > EMAIL_MAX:
        return None
    return await User.get_or_none(email_key=key)


async def log_out(actor: Actor, publish: Publish) -> None:
    """Revokes the token of this request; other sessions stay open."""
    user = actor.require_user()
    if actor.session is not None:
        await AuthSession.filter(id=actor.session.id, revoked_at=None).update(revoked_at=utcnow())
        await publish(
            f"user:{user.id}", {"type": "session_revoked", "session_id": actor.session.id}
        )


async def request_password_reset(
    settings: Settings, throttle: Throttle, email: str, address: str | None
) -> None:
    """Answers alike for known and unknown emails; only a known one gets a link, and only
    a few an hour, so that the endpoint cannot flood someone's inbox."""
    key = email_key(email)
    if not await throttle.reset_email_may_be_sent(key, address):
        raise _rate_limited("Too many password reset requests. Try again later.")
    user = await _account_with(key)
    if user is None:
        return
    async with in_transaction():
        await _send_account_link(settings, user, TokenPurpose.RESET_PASSWORD)
        await audit.record(user.id, "request_password_reset", "User", user.id)


async def reset_password(
    settings: Settings, publish: Publish, token: str, new_password: str
) -> User:
    """Sets the new password and revokes every session of the account."""
    digest = token_digest(settings.secret_key, token)
    pending = await AccountToken.get_or_none(token_hash=digest).prefetch_related("user")
    if pending is not None:
        check_password(new_password, pending.user.email, field="newPassword")
    password_hash = await hash_password(settings, new_password)
    async with in_transaction():
        record = await _use_account_token(settings, token, TokenPurpose.RESET_PASSWORD)
        user = await User.get(id=record.user_id)
        user.password_hash = password_hash
        # Following the emailed link proves the address, as verification would.
        user.email_verified_at = user.email_verified_at or utcnow()
        await user.save(update_fields=["password_hash", "email_verified_at"])
        await AuthSession.filter(user_id=user.id, revoked_at=None).update(revoked_at=utcnow())
        await audit.record(user.id, "reset_password", "User", user.id)
    await publish(f"user:{user.id}", {"type": "session_revoked", "session_id": None})
    return user


async def create_staff(
    settings: Settings, email: str, password: str, full_name: str = "Carepath staff"
) -> User:
    """A verified staff account, or an existing account promoted to staff."""
    email = clean_email(email)
    check_password(password, email)
    password_hash = await hash_password(settings, password)
    async with in_transaction():
        user = await User.get_or_none(email_key=email_key(email))
        if user is None:
            user = await User.create(
                email=email,
                email_key=email_key(email),
                password_hash=password_hash,
                full_name=full_name,
                email_verified_at=utcnow(),
                is_staff=True,
            )
        else:
            user.is_staff = True
            user.password_hash = password_hash
            user.email_verified_at = user.email_verified_at or utcnow()
            await user.save()
        await audit.record(None, "create_staff", "User", user.id)
    return user


async def _open_session(settings: Settings, user: User) -> IssuedSession:
    token = new_token()
    now = utcnow()
    expires_at = now + timedelta(minutes=settings.token_lifetime_minutes)
    await AuthSession.create(
        user=user,
        token_hash=token_digest(settings.secret_key, token),
        expires_at=expires_at,
        last_seen_at=now,
    )
    return IssuedSession(user=user, token=token, expires_at=expires_at)


async def _send_account_link(settings: Settings, user: User, purpose: TokenPurpose) -> None:
    token = new_token()
    lifetime = (
        settings.verification_token_minutes
        if purpose is TokenPurpose.VERIFY_EMAIL
        else settings.reset_token_minutes
    )
    # A new link replaces any earlier unused one of the same purpose.
    await AccountToken.filter(user_id=user.id, purpose=purpose, used_at=None).update(
        used_at=utcnow()
    )
    await AccountToken.create(
        user=user,
        purpose=purpose,
        token_hash=token_digest(settings.secret_key, token),
        expires_at=utcnow() + timedelta(minutes=lifetime),
    )
    if purpose is TokenPurpose.VERIFY_EMAIL:
        link = f"{settings.public_base_url}/verify-email?token={quote(token)}"
        draft = emails.verification_email(user.email, user.full_name, link)
    else:
        link = f"{settings.public_base_url}/reset-password?token={quote(token)}"
        draft = emails.password_reset_email(user.email, user.full_name, link)
    await outbox.enqueue(draft)


async def _use_account_token(settings: Settings, token: str, purpose: TokenPurpose) -> AccountToken:
    """Marks a valid token used, atomically: a second use of the same token finds nothing."""
    now = utcnow()
    digest = token_digest(settings.secret_key, token)
    record = await AccountToken.get_or_none(token_hash=digest, purpose=purpose)
    if record is None or record.used_at is not None or record.expires_at <= now:
        raise RuleViolation(
            ErrorCode.INVALID_TOKEN, "This link is invalid or has expired.", "token"
        )
    used = await AccountToken.filter(id=record.id, used_at=None).update(used_at=now)
    if used != 1:
        raise RuleViolation(
            ErrorCode.INVALID_TOKEN, "This link is invalid or has expired.", "token"
        )
    return record
