"""Appointment mail as it reaches a real SMTP server: confirmations with a calendar file,
reminders a day ahead, reschedules and cancellations."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from starlette.applications import Starlette

from carepath.clock import utcnow
from carepath.models import OutboxEmail
from carepath.models.enums import OutboxStatus
from tests.practice_steps import Person, a_client, on_roster, succeed
from tests.scheduling_steps import (
    ALL_DAY,
    CANCEL_APPOINTMENT,
    INSTRUCTIONS,
    LINK,
    RESCHEDULE_APPOINTMENT,
    Practice,
    a_practice,
    at,
    book,
    calendar_files,
    events_of,
    iso,
    local,
    mail_due_now,
    mentions_day,
    move_platform,
    next_quarter,
    pending_reminders,
    schedule,
    scheduled,
    start_of,
)
from tests.support import Api, SmtpServer, body_of

LEAD = timedelta(hours=24)
NEW_ROOM = "https://meet.doxy.me/room-2"


async def team(api: Api) -> tuple[Practice, Person, str]:
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com", "Cleo Client")
    client_id = await on_roster(api, practice.provider, practice.id, cleo)
    return practice, cleo, client_id


async def reschedule(
    api: Api, practice: Practice, appointment_id: str, starts_at: datetime
) -> None:
    request = {"appointmentId": appointment_id, "startsAt": iso(starts_at)}
    await succeed(api, RESCHEDULE_APPOINTMENT, "rescheduleAppointment", request, practice.token)


# ---------------------------------------------------------------- confirmations


async def test_booking_confirmation_has_the_link_instructions_and_a_calendar_file(
    api: Api, smtp_server: SmtpServer
) -> None:
    practice = await a_practice(api, intakeMode="FULL_SESSION")
    cleo = await a_client(api, "cleo@example.com")
    starts_at = local(3, "10:00")
    await book(api, cleo, practice.slug, starts_at, "TELEHEALTH")
    [mail] = await smtp_server.wait_for(cleo.email, kind="appointment_confirmation")
    assert LINK in body_of(mail) and INSTRUCTIONS in body_of(mail)
    [calendar] = calendar_files(mail)
    [event] = events_of(calendar)
    assert str(event["LOCATION"]) == LINK
    assert start_of(event) == starts_at
    assert event.decoded("DTEND") == starts_at + timedelta(minutes=50)


async def test_follow_up_confirmation_has_the_link_and_a_calendar_file(
    api: Api, smtp_server: SmtpServer
) -> None:
    practice, cleo, client_id = await team(api)
    starts_at = local(5, "10:00")
    await scheduled(api, practice, client_id, starts_at)
    [mail] = await smtp_server.wait_for(cleo.email, kind="appointment_confirmation")
    assert LINK in body_of(mail) and INSTRUCTIONS in body_of(mail)
    [event] = events_of(calendar_files(mail)[0])
    assert (str(event["LOCATION"]), start_of(event)) == (LINK, starts_at)


async def test_a_series_gets_one_confirmation_listing_every_date(
    api: Api, smtp_server: SmtpServer
) -> None:
    practice, cleo, client_id = await team(api)
    recurrence = {"frequency": "WEEKLY", "count": 4}
    payload = await schedule(api, practice, client_id, local(5, "10:00"), recurrence=recurrence)
    starts = [at(a["startsAt"]) for a in payload["appointments"]]
    await smtp_server.wait_for(cleo.email, kind="appointment_confirmation")
    await asyncio.sleep(0.3)  # several more worker passes
    mails = await smtp_server.wait_for(cleo.email, kind="appointment_confirmation")
    assert len(mails) == 1
    assert all(mentions_day(body_of(mails[0]), s) for s in starts), body_of(mails[0])
    [calendar] = calendar_files(mails[0])
    events = events_of(calendar)
    assert sorted(start_of(e) for e in events) == starts
    assert {str(e["LOCATION"]) for e in events} == {LINK}


# ---------------------------------------------------------------- reminders


async def test_reminder_is_due_a_day_before_the_appointment(api: Api) -> None:
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com")
    starts_at = local(3, "10:00")
    await book(api, cleo, practice.slug, starts_at)
    [reminder] = await pending_reminders(cleo.email)
    assert reminder.send_after == starts_at - LEAD


async def test_each_occurrence_of_a_series_gets_its_reminder(api: Api) -> None:
    practice, cleo, client_id = await team(api)
    recurrence = {"frequency": "BIWEEKLY", "count": 3}
    payload = await schedule(api, practice, client_id, local(5, "10:00"), recurrence=recurrence)
    due = [r.send_after for r in await pending_reminders(cleo.email)]
    assert due == [at(a["startsAt"]) - LEAD for a in payload["appointments"]]


async def test_no_reminder_for_an_appointment_booked_within_a_day(
    api: Api, smtp_server: SmtpServer
) -> None:
    practice = await a_practice(api, windows=ALL_DAY)
    cleo = await a_client(api, "cleo@example.com")
    starts_at = next_quarter(utcnow() + timedelta(hours=3))
    assert (await book(api, cleo, practice.slug, starts_at))["errors"] == []
    await smtp_server.wait_for(cleo.email, kind="appointment_confirmation")
    assert await OutboxEmail.filter(kind="appointment_reminder").count() == 0


async def test_a_due_reminder_arrives_with_the_link(
    api: Api, app: Starlette, smtp_server: SmtpServer
) -> None:
    practice, cleo, client_id = await team(api)
    await scheduled(api, practice, client_id, local(5, "10:00"))
    await mail_due_now(app, "appointment_reminder")
    [mail] = await smtp_server.wait_for(cleo.email, kind="appointment_reminder")
    assert LINK in body_of(mail) and INSTRUCTIONS in body_of(mail)


async def test_a_reminder_waits_until_its_time_even_minutes_away(
    api: Api, app: Starlette, smtp_server: SmtpServer
) -> None:
    practice, cleo, client_id = await team(api)
    starts_at = utcnow().replace(microsecond=0) + LEAD + timedelta(minutes=5)
    await scheduled(api, practice, client_id, starts_at)
    await smtp_server.wait_for(cleo.email, kind="appointment_confirmation")
    app.state.runtime.wake_mail()
    await asyncio.sleep(0.5)  # several passes of the worker
    kinds = [m["X-Carepath-Kind"] for m in smtp_server.to(cleo.email)]
    assert "appointment_reminder" not in kinds
    [reminder] = await pending_reminders(cleo.email)
    assert reminder.send_after == starts_at - LEAD


async def test_a_reminder_carries_the_platforms_current_link(
    api: Api, app: Starlette, smtp_server: SmtpServer
) -> None:
    practice, cleo, client_id = await team(api)
    await scheduled(api, practice, client_id, local(5, "10:00"))
    await move_platform(api, practice, NEW_ROOM)
    await mail_due_now(app, "appointment_reminder")
    [mail] = await smtp_server.wait_for(cleo.email, kind="appointment_reminder")
    assert NEW_ROOM in body_of(mail)


async def test_rescheduling_moves_the_reminder(api: Api) -> None:
    practice, cleo, client_id = await team(api)
    booked = await scheduled(api, practice, client_id, local(5, "10:00"))
    [old] = await pending_reminders(cleo.email)
    new_start = local(8, "11:00")
    await reschedule(api, practice, booked["id"], new_start)
    assert (await OutboxEmail.get(id=old.id)).status != OutboxStatus.PENDING
    [new] = await pending_reminders(cleo.email)
    assert new.send_after == new_start - LEAD


async def test_rescheduling_into_the_last_day_leaves_no_reminder(api: Api) -> None:
    practice, cleo, client_id = await team(api)
    booked = await scheduled(api, practice, client_id, local(5, "10:00"))
    await reschedule(api, practice, booked["id"], next_quarter(utcnow() + timedelta(hours=5)))
    assert await pending_reminders(cleo.email) == []


# ---------------------------------------------------------------- changes


async def test_reschedule_email_has_the_new_time_and_the_current_link(
    api: Api, smtp_server: SmtpServer
) -> None:
    practice, cleo, client_id = await team(api)
    booked = await scheduled(api, practice, client_id, local(5, "10:00"))
    await move_platform(api, practice, NEW_ROOM)
    new_start = local(9, "11:00")
    await reschedule(api, practice, booked["id"], new_start)
    [mail] = await smtp_server.wait_for(cleo.email, kind="appointment_rescheduled")
    assert NEW_ROOM in body_of(mail) and LINK not in body_of(mail)
    assert mentions_day(body_of(mail), new_start)


async def test_cancellation_notice_reaches_the_client_and_the_reminder_is_dropped(
    api: Api, app: Starlette, smtp_server: SmtpServer
) -> None:
    practice, cleo, client_id = await team(api)
    booked = await scheduled(api, practice, client_id, local(5, "10:00"))
    [reminder] = await pending_reminders(cleo.email)
    request = {"appointmentId": booked["id"], "reason": "Provider is ill (flu)"}
    await succeed(api, CANCEL_APPOINTMENT, "cancelAppointment", request, practice.token)
    [mail] = await smtp_server.wait_for(cleo.email, kind="appointment_cancelled")
    assert mentions_day(body_of(mail), local(5, "10:00"))
    assert "flu" not in body_of(mail)  # free text may be PHI: it stays in Carepath
    [event] = events_of(calendar_files(mail)[0])
    assert str(event["STATUS"]) == "CANCELLED"
    [confirmation] = await smtp_server.wait_for(cleo.email, kind="appointment_confirmation")
    [booked_event] = events_of(calendar_files(confirmation)[0])
    assert event["UID"] == booked_event["UID"]  # the calendar cancels the event it holds
    assert (await OutboxEmail.get(id=reminder.id)).status != OutboxStatus.PENDING
    await mail_due_now(app, "appointment_reminder")
    await asyncio.sleep(0.3)
    assert [
        m for m in smtp_server.to(cleo.email) if m["X-Carepath-Kind"] == "appointment_reminder"
    ] == []
