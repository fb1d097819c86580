"""Follow-ups by the provider: once or recurring, rescheduled, cancelled."""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from carepath.clock import utcnow
from carepath.models import Appointment
from tests.practice_steps import (
    ARCHIVE_CLIENT,
    Person,
    a_client,
    a_group,
    a_group_admin,
    a_provider,
    codes,
    mutate,
    on_roster,
    succeed,
)
from tests.scheduling_steps import (
    CANCEL_APPOINTMENT,
    LINK,
    NEW_YORK,
    RESCHEDULE_APPOINTMENT,
    SCHEDULE_APPOINTMENT,
    Practice,
    a_practice,
    at,
    follow_up,
    iso,
    local,
    next_spring_forward,
    schedule,
    scheduled,
    written,
)
from tests.support import Api

ZONE = ZoneInfo(NEW_YORK)


async def team(api: Api) -> tuple[Practice, Person, str]:
    """A provider with Cleo on their active roster (and her client id)."""
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com", "Cleo Client")
    client_id = await on_roster(api, practice.provider, practice.id, cleo)
    return practice, cleo, client_id


async def refused_schedule(
    api: Api, token: str, request: dict[str, Any], code: str, field: str | None = None
) -> None:
    """scheduleAppointment refused with `code` (on `field`); nothing written."""
    before = await written()
    payload = await mutate(api, SCHEDULE_APPOINTMENT, "scheduleAppointment", request, token)
    assert (payload["appointments"], codes(payload)) == ([], [code])
    if field is not None:
        assert payload["errors"][0]["field"] == field
    assert await written() == before


async def refused_change(
    api: Api, document: str, request: dict[str, Any], token: str, code: str
) -> dict[str, Any]:
    """A reschedule or cancel refused with `code`; nothing written or changed."""
    name = "rescheduleAppointment" if document == RESCHEDULE_APPOINTMENT else "cancelAppointment"
    before = await written()
    rows = await Appointment.all().order_by("id").values()
    payload = await mutate(api, document, name, request, token)
    assert (payload["appointment"], codes(payload)) == (None, [code])
    assert await written() == before
    assert await Appointment.all().order_by("id").values() == rows
    return payload


def wall_clock(value: str) -> datetime:
    return at(value).astimezone(ZONE)


def month_later(first: date, months: int) -> date:
    year, month = divmod(first.year * 12 + first.month - 1 + months, 12)
    return date(year, month + 1, min(first.day, monthrange(year, month + 1)[1]))


# ---------------------------------------------------------------- scheduling


async def test_provider_schedules_a_follow_up_session(api: Api) -> None:
    practice, _, client_id = await team(api)
    starts_at = local(5, "10:00")
    appointment = await scheduled(api, practice, client_id, starts_at)
    assert {k: appointment[k] for k in ("kind", "modality", "status", "bookedBy", "seriesId")} == {
        "kind": "SESSION",
        "modality": "TELEHEALTH",
        "status": "SCHEDULED",
        "bookedBy": "PROVIDER",
        "seriesId": None,
    }
    assert (at(appointment["startsAt"]), at(appointment["endsAt"])) == (
        starts_at,
        starts_at + timedelta(minutes=50),
    )
    assert (appointment["telehealthLink"], appointment["client"]["id"]) == (LINK, client_id)


async def test_provider_may_schedule_outside_availability_to_the_second(api: Api) -> None:
    practice, _, client_id = await team(api)  # office hours 09:00-17:00
    starts_at = local(5, "20:07:30")
    appointment = await scheduled(api, practice, client_id, starts_at, durationMinutes=25)
    assert (at(appointment["startsAt"]), at(appointment["endsAt"])) == (
        starts_at,
        starts_at + timedelta(minutes=25),
    )


async def test_client_cannot_schedule_a_follow_up(api: Api) -> None:
    practice, cleo, client_id = await team(api)
    request = follow_up(practice, client_id, local(5, "10:00"))
    await refused_schedule(api, cleo.token, request, "PROVIDER_ONLY")


async def test_client_archived_on_the_roster_is_not_on_roster(api: Api) -> None:
    practice, _, client_id = await team(api)
    archive = {"providerId": practice.id, "clientId": client_id}
    await succeed(api, ARCHIVE_CLIENT, "archiveClient", archive, practice.token)
    request = follow_up(practice, client_id, local(5, "10:00"))
    await refused_schedule(api, practice.token, request, "NOT_ON_ROSTER")


@pytest.mark.parametrize("minutes", [0, 14, 241, 600])
async def test_duration_is_fifteen_to_two_hundred_forty_minutes(api: Api, minutes: int) -> None:
    practice, _, client_id = await team(api)
    request = follow_up(practice, client_id, local(5, "10:00"), durationMinutes=minutes)
    await refused_schedule(api, practice.token, request, "VALIDATION", "durationMinutes")


@pytest.mark.parametrize("minutes", [15, 240])
async def test_shortest_and_longest_durations_are_accepted(api: Api, minutes: int) -> None:
    practice, _, client_id = await team(api)
    starts_at = local(5, "10:00")
    appointment = await scheduled(api, practice, client_id, starts_at, durationMinutes=minutes)
    assert at(appointment["endsAt"]) == starts_at + timedelta(minutes=minutes)


@pytest.mark.parametrize("count", [0, 1, 53])
async def test_a_series_has_two_to_fifty_two_occurrences(api: Api, count: int) -> None:
    practice, _, client_id = await team(api)
    recurrence = {"frequency": "WEEKLY", "count": count}
    request = follow_up(practice, client_id, local(5, "10:00"), recurrence=recurrence)
    await refused_schedule(api, practice.token, request, "VALIDATION", "recurrence.count")


async def test_a_fifty_two_week_series_is_accepted(api: Api) -> None:
    practice, _, client_id = await team(api)
    recurrence = {"frequency": "WEEKLY", "count": 52}
    payload = await schedule(api, practice, client_id, local(5, "10:00"), recurrence=recurrence)
    assert (len(payload["appointments"]), payload["errors"]) == (52, [])


@pytest.mark.parametrize("frequency", ["WEEKLY", "BIWEEKLY", "MONTHLY"])
async def test_a_recurring_series_shares_one_series_id(api: Api, frequency: str) -> None:
    practice, _, client_id = await team(api)
    first = local(5, "10:00")
    recurrence = {"frequency": frequency, "count": 3}
    payload = await schedule(api, practice, client_id, first, recurrence=recurrence)
    appointments = payload["appointments"]
    assert len({a["seriesId"] for a in appointments}) == 1 and appointments[0]["seriesId"]
    days = [wall_clock(a["startsAt"]).date() for a in appointments]
    if frequency == "MONTHLY":
        assert days == [month_later(first.date(), n) for n in range(3)]
    else:
        step = 7 if frequency == "WEEKLY" else 14
        assert days == [first.date() + timedelta(days=step * n) for n in range(3)]
    assert {wall_clock(a["startsAt"]).time() for a in appointments} == {time(10, 0)}


async def test_one_clashing_occurrence_refuses_the_whole_series(api: Api) -> None:
    practice, _, client_id = await team(api)
    await scheduled(api, practice, client_id, local(19, "10:30"), durationMinutes=15)
    recurrence = {"frequency": "WEEKLY", "count": 4}  # the third falls on day 19, 10:00-10:50
    request = follow_up(practice, client_id, local(5, "10:00"), recurrence=recurrence)
    await refused_schedule(api, practice.token, request, "SLOT_UNAVAILABLE")


async def test_follow_up_cannot_be_in_the_past(api: Api) -> None:
    practice, _, client_id = await team(api)
    request = follow_up(practice, client_id, local(-1, "10:00"))
    await refused_schedule(api, practice.token, request, "IN_THE_PAST")


async def test_a_session_by_phone_is_audio_only(api: Api) -> None:
    practice, _, client_id = await team(api)
    request = follow_up(practice, client_id, local(5, "10:00"), modality="PHONE")
    await refused_schedule(api, practice.token, request, "AUDIO_ONLY_NOT_PERMITTED")


async def test_weekly_series_keeps_its_wall_clock_time_across_daylight_saving(api: Api) -> None:
    practice, _, client_id = await team(api)
    first_day = next_spring_forward() - timedelta(days=14)
    first = datetime.combine(first_day, time(10, 0), tzinfo=ZONE)
    recurrence = {"frequency": "WEEKLY", "count": 4}
    payload = await schedule(api, practice, client_id, first, recurrence=recurrence)
    starts = [at(a["startsAt"]) for a in payload["appointments"]]
    assert [s.astimezone(ZONE).replace(tzinfo=None) for s in starts] == [
        datetime.combine(first_day + timedelta(days=7 * n), time(10, 0)) for n in range(4)
    ]
    assert [s.astimezone(UTC).hour for s in starts] == [15, 15, 14, 14]


async def test_monthly_series_on_the_31st_falls_on_shorter_months_last_day(api: Api) -> None:
    practice, _, client_id = await team(api)
    today = utcnow().date()
    year = today.year if today < date(today.year, 1, 29) else today.year + 1
    first = datetime.combine(date(year, 1, 31), time(10, 0), tzinfo=ZONE)
    recurrence = {"frequency": "MONTHLY", "count": 4}
    payload = await schedule(api, practice, client_id, first, recurrence=recurrence)
    days = [wall_clock(a["startsAt"]).date() for a in payload["appointments"]]
    february = monthrange(year, 2)[1]
    assert days == [
        date(year, 1, 31),
        date(year, 2, february),
        date(year, 3, 31),
        date(year, 4, 30),
    ]


async def test_cancelled_time_can_be_scheduled_again(api: Api) -> None:
    practice, _, client_id = await team(api)
    first = await scheduled(api, practice, client_id, local(5, "10:00"))
    cancel = {"appointmentId": first["id"]}
    await succeed(api, CANCEL_APPOINTMENT, "cancelAppointment", cancel, practice.token)
    await scheduled(api, practice, client_id, local(5, "10:00"))
    assert await Appointment.all().count() == 2


# ---------------------------------------------------------------- rescheduling


async def test_reschedule_keeps_the_duration_when_none_is_given(api: Api) -> None:
    practice, _, client_id = await team(api)
    booked = await scheduled(api, practice, client_id, local(5, "10:00"), durationMinutes=30)
    new_start = local(6, "11:15")
    request = {"appointmentId": booked["id"], "startsAt": iso(new_start)}
    payload = await succeed(
        api, RESCHEDULE_APPOINTMENT, "rescheduleAppointment", request, practice.token
    )
    moved = payload["appointment"]
    assert (at(moved["startsAt"]), at(moved["endsAt"])) == (
        new_start,
        new_start + timedelta(minutes=30),
    )


async def test_reschedule_with_a_new_duration(api: Api) -> None:
    practice, _, client_id = await team(api)
    booked = await scheduled(api, practice, client_id, local(5, "10:00"))
    request = {
        "appointmentId": booked["id"],
        "startsAt": iso(local(5, "10:20")),
        "durationMinutes": 90,
    }
    payload = await succeed(
        api, RESCHEDULE_APPOINTMENT, "rescheduleAppointment", request, practice.token
    )  # overlapping its own old time is fine
    assert at(payload["appointment"]["endsAt"]) == local(5, "11:50")


async def test_reschedule_onto_another_appointment_is_unavailable(api: Api) -> None:
    practice, _, client_id = await team(api)
    booked = await scheduled(api, practice, client_id, local(5, "10:00"))
    await scheduled(api, practice, client_id, local(6, "10:00"))
    request = {"appointmentId": booked["id"], "startsAt": iso(local(6, "10:45"))}
    await refused_change(api, RESCHEDULE_APPOINTMENT, request, practice.token, "SLOT_UNAVAILABLE")


async def test_reschedule_into_the_past_is_refused(api: Api) -> None:
    practice, _, client_id = await team(api)
    booked = await scheduled(api, practice, client_id, local(5, "10:00"))
    request = {"appointmentId": booked["id"], "startsAt": iso(local(-1, "10:00"))}
    await refused_change(api, RESCHEDULE_APPOINTMENT, request, practice.token, "IN_THE_PAST")


async def test_reschedule_duration_is_validated(api: Api) -> None:
    practice, _, client_id = await team(api)
    booked = await scheduled(api, practice, client_id, local(5, "10:00"))
    request = {
        "appointmentId": booked["id"],
        "startsAt": iso(local(6, "10:00")),
        "durationMinutes": 241,
    }
    payload = await refused_change(
        api, RESCHEDULE_APPOINTMENT, request, practice.token, "VALIDATION"
    )
    assert payload["errors"][0]["field"] == "durationMinutes"


@pytest.mark.parametrize("document", [RESCHEDULE_APPOINTMENT, CANCEL_APPOINTMENT])
async def test_client_cannot_change_an_appointment(api: Api, document: str) -> None:
    practice, cleo, client_id = await team(api)
    booked = await scheduled(api, practice, client_id, local(5, "10:00"))
    request = {"appointmentId": booked["id"], "startsAt": iso(local(6, "10:00"))}
    if document == CANCEL_APPOINTMENT:
        request = {"appointmentId": booked["id"], "reason": "Cannot make it"}
    await refused_change(api, document, request, cleo.token, "PROVIDER_ONLY")


async def a_client_with_a_practice_role(api: Api, practice: Practice, role: str) -> Person:
    """Cleo, on the provider's roster, who is also a provider or a group admin elsewhere."""
    if role == "provider":
        cleo = await a_provider(api, "cleo@example.com", "Cleo Client")
    else:
        owner = await a_provider(api, "olga@example.com", "Olga Owner")
        group_id = await a_group(api, owner)
        cleo = await a_group_admin(api, group_id, owner, "cleo@example.com")
    cleo.client_id = await on_roster(api, practice.provider, practice.id, cleo)
    return cleo


@pytest.mark.parametrize("role", ["provider", "group admin"])
@pytest.mark.parametrize("action", ["schedule", "reschedule", "cancel"])
async def test_a_client_with_a_practice_role_elsewhere_is_still_provider_only(
    api: Api, role: str, action: str
) -> None:
    practice = await a_practice(api)
    cleo = await a_client_with_a_practice_role(api, practice, role)
    assert cleo.client_id is not None
    booked = await scheduled(api, practice, cleo.client_id, local(5, "10:00"))
    if action == "schedule":
        request = follow_up(practice, cleo.client_id, local(6, "10:00"))
        await refused_schedule(api, cleo.token, request, "PROVIDER_ONLY")
    elif action == "reschedule":
        request = {"appointmentId": booked["id"], "startsAt": iso(local(6, "10:00"))}
        await refused_change(api, RESCHEDULE_APPOINTMENT, request, cleo.token, "PROVIDER_ONLY")
    else:
        request = {"appointmentId": booked["id"], "reason": "Cannot make it"}
        await refused_change(api, CANCEL_APPOINTMENT, request, cleo.token, "PROVIDER_ONLY")


async def test_another_providers_appointment_is_not_found(api: Api) -> None:
    practice, _, client_id = await team(api)
    booked = await scheduled(api, practice, client_id, local(5, "10:00"))
    bob = await a_provider(api, "bob@example.com", "Bob Provider")
    request = {"appointmentId": booked["id"], "reason": "Mine now"}
    await refused_change(api, CANCEL_APPOINTMENT, request, bob.token, "NOT_FOUND")


async def test_cancelled_appointment_cannot_be_rescheduled(api: Api) -> None:
    practice, _, client_id = await team(api)
    booked = await scheduled(api, practice, client_id, local(5, "10:00"))
    cancel = {"appointmentId": booked["id"]}
    await succeed(api, CANCEL_APPOINTMENT, "cancelAppointment", cancel, practice.token)
    request = {"appointmentId": booked["id"], "startsAt": iso(local(6, "10:00"))}
    await refused_change(api, RESCHEDULE_APPOINTMENT, request, practice.token, "INVALID_STATUS")


# ---------------------------------------------------------------- cancelling


async def test_provider_cancels_with_a_reason(api: Api) -> None:
    practice, _, client_id = await team(api)
    booked = await scheduled(api, practice, client_id, local(5, "10:00"))
    before = utcnow().replace(microsecond=0)
    request = {"appointmentId": booked["id"], "reason": "Provider is ill"}
    payload = await succeed(api, CANCEL_APPOINTMENT, "cancelAppointment", request, practice.token)
    cancelled = payload["appointment"]
    assert (cancelled["status"], cancelled["cancellationReason"]) == (
        "CANCELLED",
        "Provider is ill",
    )
    assert before <= at(cancelled["cancelledAt"]) <= utcnow()
    row = await Appointment.get()
    assert (row.status, row.cancellation_reason) == ("CANCELLED", "Provider is ill")


async def test_cancelling_twice_is_an_invalid_status(api: Api) -> None:
    practice, _, client_id = await team(api)
    booked = await scheduled(api, practice, client_id, local(5, "10:00"))
    request = {"appointmentId": booked["id"], "reason": "Provider is ill"}
    await succeed(api, CANCEL_APPOINTMENT, "cancelAppointment", request, practice.token)
    await refused_change(api, CANCEL_APPOINTMENT, request, practice.token, "INVALID_STATUS")
