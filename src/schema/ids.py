"""Opaque global IDs: base64 of "TypeName:pk"; anything else decodes to None."""

from __future__ import annotations

import base64
import binascii

import strawberry

# Primary keys are 32-bit: a larger one names nothing (and overflows PostgreSQL's integer).
MAX_PK = 2**31 - 1


def to_global_id(type_name: str, pk: int) -> strawberry.ID:
    raw = f"{type_name}:{pk}".encode()
    return strawberry.ID(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def parse_global_id(global_id: str) -> tuple[str, int] | None:
    """(type name, pk), or None for anything that is not one of our ids."""
    if not isinstance(global_id, str) or len(global_id) > 120:
        return None
    padded = global_id + "=" * (-len(global_id) % 4)
    try:
        decoded = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, _, pk = decoded.partition(":")
    if not type_name or not pk.isdigit() or len(pk) > 10 or int(pk) > MAX_PK:
        return None
    return type_name, int(pk)


def pk_of(global_id: str | None, type_name: str) -> int | None:
    """The pk behind an id of the expected type; None when absent, malformed or another type."""
    if global_id is None:
        return None
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] != type_name:
        return None
    return parsed[1]
