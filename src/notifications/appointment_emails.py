"""Appointment emails: confirmation (with .ics), reminder, reschedule, cancellation,
session confirmed. Each carries what the recipient needs to join, and nothing more."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from carepath.notifications.calendar import CalendarEvent, build_calendar
from carepath.notifications.emails import Attachment, EmailDraft

KIND_NAMES = {"PHONE_CONSULTATION": "phone consultation", "SESSION": "session"}


@dataclass(frozen=True)
class AppointmentFacts:
    """What an email says about one appointment (times shown in the provider's zone)."""

    appointment_id: int
    starts_at: datetime
    ends_at: datetime
    kind: str
    modality: str
    provider_name: str
    client_name: str
    time_zone: str
    telehealth_link: str | None = None
    telehealth_instructions: str | None = None

    @property
    def what(self) -> str:
        return KIND_NAMES.get(self.kind, "appointment")

    def local(self) -> str:
        zone = ZoneInfo(self.time_zone)
        start = self.starts_at.astimezone(zone)
        end = self.ends_at.astimezone(zone)
        return (
            f"{start:%A, %B} {start.day}, {start:%Y}, {start:%H:%M}-{end:%H:%M} "
            f"{start.tzname()} ({self.time_zone})"
        )

    def how_to_join(self) -> str:
        if self.modality == "TELEHEALTH":
            lines = [f"Join by video: {self.telehealth_link or '(link to follow)'}"]
            if self.telehealth_instructions:
                lines.append(f"Instructions: {self.telehealth_instructions}")
            return "\n".join(lines)
        if self.modality == "PHONE":
            return "This is a phone call: your provider will call you at the scheduled time."
        return "This is an in-person appointment at your provider's office."

    def calendar_event(self, summary: str, *, cancelled: bool = False) -> CalendarEvent:
        location = self.telehealth_link if self.modality == "TELEHEALTH" else None
        if self.modality == "PHONE":
            location = "Phone call"
        elif self.modality == "IN_PERSON":
            location = "In person"
        return CalendarEvent(
            uid=f"appointment-{self.appointment_id}@carepath",
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            summary=summary,
            location=location,
            description=self.how_to_join(),
            cancelled=cancelled,
        )


def _ics(items: Sequence[AppointmentFacts], summary: str, *, cancelled: bool = False) -> Attachment:
    """Same UID per appointment, so a calendar updates (or cancels) the event it holds."""
    events = [item.calendar_event(summary, cancelled=cancelled) for item in items]
    return Attachment(
        filename="appointment.ics",
        content_type="text/calendar",
        content=build_calendar(events, "Carepath appointments"),
    )


def confirmation(
    to: str, name: str, items: Sequence[AppointmentFacts], *, for_provider: bool = False
) -> EmailDraft:
    """One email for one appointment or a whole series, with one .ics holding every date."""
    first = items[0]
    other = first.client_name if for_provider else first.provider_name
    dates = "\n".join(f"- {item.local()}" for item in items)
    plural = f"{len(items)} {first.what}s" if len(items) > 1 else f"a {first.what}"
    return EmailDraft(
        kind="appointment_confirmation",
        to=to,
        subject=f"Confirmed: {first.what} with {other}",
        body=(
            f"Hello {name},\n\n"
            f"You have {plural} with {other}:\n\n{dates}\n\n"
            f"{first.how_to_join()}\n\n"
            "The attached calendar file adds the appointment to your calendar.\n"
        ),
        attachments=[_ics(items, f"{first.what.capitalize()} with {other}")],
    )


def reminder(to: str, name: str, item: AppointmentFacts) -> EmailDraft:
    return EmailDraft(
        kind="appointment_reminder",
        to=to,
        subject=f"Reminder: {item.what} with {item.provider_name}",
        body=(
            f"Hello {name},\n\n"
            f"This is a reminder of your {item.what} with {item.provider_name}:\n\n"
            f"{item.local()}\n\n{item.how_to_join()}\n"
        ),
    )


def rescheduled(to: str, name: str, item: AppointmentFacts) -> EmailDraft:
    return EmailDraft(
        kind="appointment_rescheduled",
        to=to,
        subject=f"Rescheduled: {item.what} with {item.provider_name}",
        body=(
            f"Hello {name},\n\n"
            f"Your {item.what} with {item.provider_name} has moved to:\n\n"
            f"{item.local()}\n\n{item.how_to_join()}\n\n"
            "The attached calendar file updates the appointment in your calendar.\n"
        ),
        attachments=[_ics([item], f"{item.what.capitalize()} with {item.provider_name}")],
    )


def cancelled(to: str, name: str, item: AppointmentFacts, *, has_reason: bool) -> EmailDraft:
    """The provider's reason is free text that may hold PHI: it stays in Carepath."""
    why = "\nYour provider noted a reason: sign in to Carepath to read it.\n" if has_reason else ""
    return EmailDraft(
        kind="appointment_cancelled",
        to=to,
        subject=f"Cancelled: {item.what} with {item.provider_name}",
        body=(
            f"Hello {name},\n\n"
            f"Your {item.what} with {item.provider_name} on {item.local()} was cancelled.\n"
            f"{why}\nMessage your provider in Carepath to find another time.\n"
            "The attached calendar file removes the appointment from your calendar.\n"
        ),
        attachments=[
            _ics([item], f"{item.what.capitalize()} with {item.provider_name}", cancelled=True)
        ],
    )


def session_confirmed(to: str, name: str, item: AppointmentFacts) -> EmailDraft:
    return EmailDraft(
        kind="session_confirmed",
        to=to,
        subject=f"Your session with {item.provider_name} is confirmed",
        body=(f"Hello {name},\n\n{item.provider_name} confirmed your session of {item.local()}.\n"),
    )
