"""Writes email to the outbox inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from carepath.clock import utcnow
from carepath.models import OutboxEmail
from carepath.notifications.emails import EmailDraft


async def enqueue(
    draft: EmailDraft, *, send_after: datetime | None = None, appointment_id: int | None = None
) -> OutboxEmail:
    """Queue one email; it is sent only if the surrounding transaction commits."""
    due = send_after or utcnow()
    return await OutboxEmail.create(
        kind=draft.kind,
        to_address=draft.to,
        subject=draft.subject,
        body_text=draft.body,
        attachments=list(draft.attachments),
        appointment_id=appointment_id,
        send_after=due,
        next_attempt_at=due,
    )
