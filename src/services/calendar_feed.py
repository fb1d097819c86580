"""The provider's secret iCalendar feed: appointments with the telehealth link as location
and the client shown by initials only."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from tortoise.transactions import in_transaction

from carepath.clock import utcnow
from carepath.models import Appointment, Client, Provider, TelehealthLocation, User
from carepath.models.enums import AppointmentStatus, Modality
from carepath.notifications.calendar import CalendarEvent, build_calendar
from carepath.services import audit
from carepath.services.actor import Actor
from carepath.services.guards import own_provider

FEED_HISTORY = timedelta(days=90)
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")  # token_urlsafe's alphabet


async def rotate(actor: Actor) -> Provider:
    """A new secret; the old URL stops working at once."""
    provider = await own_provider(actor)
    provider.calendar_secret = secrets.token_urlsafe(32)
    async with in_transaction():
        await provider.save(update_fields=["calendar_secret"])
        await audit.record(actor.user_id, "rotate_calendar_feed", "Provider", provider.id)
    return provider


def initials(full_name: str) -> str:
    return (
        "".join(f"{part[0].upper()}." for part in full_name.split() if part[:1].isalpha())
        or "Client"
    )


async def feed(secret: str) -> str | None:
    """The feed's text, or None for an unknown or rotated-out secret."""
    if not SECRET_SHAPE.fullmatch(secret):
        return None  # never a secret rotate() made: not worth a query
    provider = await Provider.get_or_none(calendar_secret=secret)
    if provider is None:
        return None
    appointments = await Appointment.filter(
        provider_id=provider.id, ends_at__gte=utcnow() - FEED_HISTORY
    ).order_by("starts_at")
    clients = {c.id: c for c in await Client.filter(id__in={a.client_id for a in appointments})}
    users = {u.id: u for u in await User.filter(id__in={c.user_id for c in clients.values()})}
    locations = {loc.id: loc for loc in await TelehealthLocation.filter(provider_id=provider.id)}
    default = next((loc for loc in locations.values() if loc.is_default), None)
    events = []
    for appointment in appointments:
        who = initials(users[clients[appointment.client_id].user_id].full_name)
        location = None
        if appointment.modality == Modality.TELEHEALTH:
            chosen = locations.get(appointment.telehealth_location_id or 0) or default
            location = chosen.url if chosen else None
        elif appointment.modality == Modality.PHONE:
            location = "Phone call"
        else:
            location = "In person"
        kind = "Phone consultation" if appointment.modality == Modality.PHONE else "Session"
        events.append(
            CalendarEvent(
                uid=f"appointment-{appointment.id}@carepath",
                starts_at=appointment.starts_at,
                ends_at=appointment.ends_at,
                summary=f"{kind} with {who}",
                location=location,
                description=None,
                cancelled=appointment.status == AppointmentStatus.CANCELLED,
            )
        )
    return build_calendar(events, f"Carepath: {provider.display_name}")
