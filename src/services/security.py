"""Passwords (argon2id) and opaque tokens (stored only as a keyed hash)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import replace
from functools import lru_cache

from argon2 import PasswordHasher, Type, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from carepath.settings import Settings


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    """argon2id with the settings' cost (RFC 9106's low-memory profile by default)."""
    params = replace(
        profiles.RFC_9106_LOW_MEMORY,
        type=Type.ID,
        time_cost=time_cost,
        memory_cost=memory_kib,
        parallelism=parallelism,
    )
    return PasswordHasher.from_parameters(params)


def hasher_for(settings: Settings) -> PasswordHasher:
    return _hasher(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


async def hash_password(settings: Settings, password: str) -> str:
    """Off the event loop: argon2 is deliberately slow."""
    return await asyncio.to_thread(hasher_for(settings).hash, password)


async def verify_password(settings: Settings, password_hash: str | None, password: str) -> bool:
    """Checks against a dummy hash when there is no account, so timing reveals nothing.

    A stored hash carries its own parameters: hashes made with other settings still verify.
    """
    hasher = hasher_for(settings)
    target = password_hash or _dummy_hash(hasher)

    def check() -> bool:
        try:
            return hasher.verify(target, password)
        except (VerificationError, InvalidHashError):
            return False

    matched = await asyncio.to_thread(check)
    return matched and password_hash is not None


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(secret_key: str, token: str) -> str:
    """HMAC-SHA256 of a token: what the database keeps instead of the token."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()
