"""The audit trail: who did what to which object, without PHI."""

from __future__ import annotations

from carepath.models import AuditEvent


async def record(
    actor_id: int | None, action: str, object_type: str, object_id: int | None
) -> None:
    await AuditEvent.create(
        actor_id=actor_id, action=action, object_type=object_type, object_id=object_id
    )
