"""Webhook signing secrets: made, stored encrypted, and used to sign (Standard Webhooks).

A secret is `whsec_` + base64 of 32 random bytes. The database keeps it encrypted with
AES-256-GCM under a key derived from SECRET_KEY by HKDF-SHA256, so a database dump alone
cannot sign a delivery. Rotating SECRET_KEY therefore makes every stored secret
unreadable: deliveries then fail until each endpoint's owner calls rotateWebhookSecret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

PREFIX = "whsec_"
SECRET_BYTES = 32
NONCE_BYTES = 12
VERSION = "v1"
KDF_INFO = b"carepath webhook endpoint secrets v1"
AAD = b"carepath.webhook_endpoints.secret"


# `cryptography` is imported where it is used, not with the app: imported at start-up it made
# CPython 3.11.7's AST recursion-depth bug (gh-106905, fixed in 3.11.8) fire at the end of
# test runs that had not touched webhooks ("SystemError: AST constructor recursion depth
# mismatch" while pytest rewrote a late import).


class SecretUnreadable(Exception):
    """The stored secret does not decrypt: SECRET_KEY changed since it was made."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode()


def _key(secret_key: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KDF_INFO)
    return hkdf.derive(secret_key.encode())


def encrypt(secret_key: str, secret: str) -> str:
    """`v1:` + base64(nonce + ciphertext and tag): about 110 characters."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_key(secret_key)).encrypt(nonce, secret.encode(), AAD)
    return f"{VERSION}:" + base64.b64encode(nonce + sealed).decode()


def decrypt(secret_key: str, stored: str) -> str:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    version, _, encoded = stored.partition(":")
    try:
        if version != VERSION:
            raise ValueError(version)
        raw = base64.b64decode(encoded, validate=True)
        plain = AESGCM(_key(secret_key)).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], AAD)
    except (InvalidTag, ValueError) as exc:
        raise SecretUnreadable("the webhook secret does not decrypt with this SECRET_KEY") from exc
    return plain.decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """`v1,` + base64 HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with the secret's
    base64-decoded part after `whsec_`."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: list[str], message_id: str, timestamp: int, body: str) -> str:
    """One signature per secret, space-separated, in the order given (the newest first)."""
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets)
