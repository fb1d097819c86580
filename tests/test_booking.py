"""Booking links: open slots, a new client's first appointment, and its refusals."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette

from carepath.clock import utcnow
from carepath.models import Appointment
from tests.practice_steps import (
    ARCHIVE_CLIENT,
    ARCHIVE_PROVIDER,
    COMPLETE_REMOVAL,
    REQUEST_REMOVAL,
    Person,
    a_client,
    a_group,
    a_group_provider,
    a_provider,
    a_staff_member,
    codes,
    on_roster,
    succeed,
)
from tests.scheduling_steps import (
    ALL_DAY,
    APPOINTMENT,
    AVAILABLE_SLOTS,
    BOOK_FIRST_APPOINTMENT,
    INSTRUCTIONS,
    LINK,
    NEW_YORK,
    Practice,
    a_past_appointment,
    a_practice,
    at,
    book,
    iso,
    local,
    make_bookable,
    next_quarter,
    next_spring_forward,
    scheduled,
    week,
    written,
)
from tests.support import Api, SmtpServer, deliver_due_mail, error_codes

KATHMANDU = "Asia/Kathmandu"
ROSTER = """
query Roster($id: ID!) { node(id: $id) { ... on Provider { clients { edges { node { id } } } } } }
"""


async def slots(
    api: Api, practice: Practice, start: datetime, end: datetime, kind: str | None = None
) -> list[tuple[datetime, datetime]]:
    variables = {"id": practice.id, "from": iso(start), "to": iso(end), "kind": kind}
    found = (await api.data(AVAILABLE_SLOTS, variables))["node"]["availableSlots"]
    return [(at(s["startsAt"]), at(s["endsAt"])) for s in found]


async def refused(
    api: Api, client: Person, practice: Practice, starts_at: datetime, modality: str, code: str
) -> None:
    """The booking is refused with `code` and writes nothing at all."""
    before = await written()
    payload = await book(api, client, practice.slug, starts_at, modality)
    assert (payload["appointment"], codes(payload)) == (None, [code])
    assert await written() == before


# ---------------------------------------------------------------- open slots


async def test_slots_lie_on_the_providers_local_quarter_hours_inside_a_window(api: Api) -> None:
    day = local(3, "09:00", KATHMANDU)
    windows = week("09:00", "10:00", range(day.isoweekday(), day.isoweekday() + 1))
    practice = await a_practice(api, timeZone=KATHMANDU, windows=windows)
    found = await slots(api, practice, local(3, "00:00", KATHMANDU), local(4, "00:00", KATHMANDU))
    starts = [day + timedelta(minutes=15 * n) for n in range(4)]
    assert found == [(s, s + timedelta(minutes=15)) for s in starts]


async def test_session_slots_last_fifty_minutes_and_fit_the_window(api: Api) -> None:
    day = local(3, "09:00", KATHMANDU)
    windows = week("09:00", "10:00", range(day.isoweekday(), day.isoweekday() + 1))
    practice = await a_practice(api, timeZone=KATHMANDU, windows=windows)
    start, end = local(3, "00:00", KATHMANDU), local(4, "00:00", KATHMANDU)
    assert await slots(api, practice, start, end, "SESSION") == [(day, day + timedelta(minutes=50))]


async def test_slots_default_to_the_intake_kind(api: Api) -> None:
    day = local(3, "09:00")
    windows = week("09:00", "10:00", range(day.isoweekday(), day.isoweekday() + 1))
    practice = await a_practice(api, windows=windows, intakeMode="FULL_SESSION")
    found = await slots(api, practice, local(3, "00:00"), local(4, "00:00"))
    assert found == [(day, day + timedelta(minutes=50))]


async def test_slots_keep_the_local_clock_across_daylight_saving(api: Api) -> None:
    practice = await a_practice(api, windows=week("09:00", "09:15"))
    change = next_spring_forward()
    start = datetime.combine(change - timedelta(days=1), time(0, 0), tzinfo=ZoneInfo(NEW_YORK))
    found = await slots(api, practice, start, start + timedelta(days=2))
    assert [s.astimezone(UTC).hour for s, _ in found] == [14, 13]  # 09:00 EST, then EDT


async def test_booked_time_is_not_offered_but_back_to_back_slots_are(api: Api) -> None:
    day = local(3, "09:00")
    windows = week("09:00", "11:00", range(day.isoweekday(), day.isoweekday() + 1))
    practice = await a_practice(api, windows=windows)
    cleo = await a_client(api, "cleo@example.com")
    assert (await book(api, cleo, practice.slug, local(3, "09:30")))["errors"] == []
    start, end = local(3, "00:00"), local(4, "00:00")
    consultations = [s for s, _ in await slots(api, practice, start, end)]
    expected = [day + timedelta(minutes=15 * n) for n in range(8) if n != 2]
    assert consultations == expected  # 09:15-09:30 and 09:45-10:00 touch the booking
    sessions = [s for s, _ in await slots(api, practice, start, end, "SESSION")]
    assert sessions == [local(3, "09:45"), local(3, "10:00")]


async def test_no_slot_starts_before_the_minimum_notice(api: Api) -> None:
    practice = await a_practice(api, windows=ALL_DAY)
    before = utcnow()
    found = await slots(api, practice, before, before + timedelta(hours=6))
    after = utcnow()
    first = found[0][0]
    notice = timedelta(minutes=120)
    assert first in {next_quarter(before + notice), next_quarter(after + notice)}
    assert all(s >= before + notice for s, _ in found)


async def test_slots_cover_at_most_sixty_two_days(api: Api) -> None:
    practice = await a_practice(api)
    start = local(1, "00:00")
    assert await slots(api, practice, start, start + timedelta(days=62))
    variables = {
        "id": practice.id,
        "from": iso(start),
        "to": iso(start + timedelta(days=62, minutes=15)),
    }
    result = await api(AVAILABLE_SLOTS, variables)
    assert result.get("errors"), result
    assert (result.get("data") or {}).get("node") is None


# ---------------------------------------------------------------- booking


async def test_client_books_a_phone_consultation(api: Api) -> None:
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com")
    starts_at = local(3, "10:00")
    payload = await book(api, cleo, practice.slug, starts_at)
    assert payload["errors"] == []
    appointment = payload["appointment"]
    assert {k: appointment[k] for k in ("kind", "modality", "status", "bookedBy")} == {
        "kind": "PHONE_CONSULTATION",
        "modality": "PHONE",
        "status": "SCHEDULED",
        "bookedBy": "CLIENT",
    }
    assert (at(appointment["startsAt"]), at(appointment["endsAt"])) == (
        starts_at,
        starts_at + timedelta(minutes=15),
    )
    assert (appointment["client"]["id"], appointment["provider"]["id"]) == (
        cleo.client_id,
        practice.id,
    )
    assert await Appointment.all().count() == 1


async def test_full_session_booking_carries_the_default_telehealth_link(api: Api) -> None:
    practice = await a_practice(api, intakeMode="FULL_SESSION")
    cleo = await a_client(api, "cleo@example.com")
    starts_at = local(3, "10:00")
    payload = await book(api, cleo, practice.slug, starts_at, "TELEHEALTH")
    appointment = payload["appointment"]
    assert (appointment["kind"], appointment["modality"]) == ("SESSION", "TELEHEALTH")
    assert at(appointment["endsAt"]) == starts_at + timedelta(minutes=50)
    for viewer in (cleo.token, practice.token):
        seen = (await api.data(APPOINTMENT, {"id": appointment["id"]}, token=viewer))["node"]
        assert (seen["telehealthLink"], seen["telehealthInstructions"]) == (LINK, INSTRUCTIONS)


async def test_in_person_session_when_the_provider_offers_it(api: Api) -> None:
    practice = await a_practice(
        api, intakeMode="FULL_SESSION", offersInPerson=True, officeState="NY"
    )
    cleo = await a_client(api, "cleo@example.com")
    payload = await book(api, cleo, practice.slug, local(3, "10:00"), "IN_PERSON")
    assert payload["errors"] == []
    assert (payload["appointment"]["modality"], payload["appointment"]["telehealthLink"]) == (
        "IN_PERSON",
        None,
    )


async def test_booking_puts_the_client_on_the_providers_roster(api: Api) -> None:
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com")
    await book(api, cleo, practice.slug, local(3, "10:00"))
    roster = (await api.data(ROSTER, {"id": practice.id}, token=practice.token))["node"]
    assert [e["node"]["id"] for e in roster["clients"]["edges"]] == [cleo.client_id]


@pytest.mark.parametrize(
    ("intake", "modality", "code"),
    [
        ("PHONE_CONSULTATION", "TELEHEALTH", "MODALITY_NOT_OFFERED"),
        ("PHONE_CONSULTATION", "IN_PERSON", "MODALITY_NOT_OFFERED"),
        ("FULL_SESSION", "PHONE", "AUDIO_ONLY_NOT_PERMITTED"),
        ("FULL_SESSION", "IN_PERSON", "MODALITY_NOT_OFFERED"),
    ],
)
async def test_modality_must_suit_the_intake_kind(
    api: Api, intake: str, modality: str, code: str
) -> None:
    practice = await a_practice(api, intakeMode=intake)  # telehealth only
    cleo = await a_client(api, "cleo@example.com")
    await refused(api, cleo, practice, local(3, "10:00"), modality, code)


@pytest.mark.parametrize(
    ("intake", "clock"),
    [
        ("PHONE_CONSULTATION", "10:05"),  # off the grid
        ("PHONE_CONSULTATION", "10:00:30"),  # off the grid by seconds
        ("PHONE_CONSULTATION", "08:00"),  # before the window
        ("PHONE_CONSULTATION", "17:00"),  # at the window's end
        ("FULL_SESSION", "16:30"),  # a session that would end at 17:20
    ],
)
async def test_start_must_be_an_open_grid_slot(api: Api, intake: str, clock: str) -> None:
    practice = await a_practice(api, intakeMode=intake)
    cleo = await a_client(api, "cleo@example.com")
    modality = "PHONE" if intake == "PHONE_CONSULTATION" else "TELEHEALTH"
    await refused(api, cleo, practice, local(3, clock), modality, "OUTSIDE_AVAILABILITY")


@pytest.mark.parametrize(
    ("intake", "clock"), [("PHONE_CONSULTATION", "16:45"), ("FULL_SESSION", "16:00")]
)
async def test_the_last_slot_that_fits_the_window_can_be_booked(
    api: Api, intake: str, clock: str
) -> None:
    practice = await a_practice(api, intakeMode=intake)
    cleo = await a_client(api, "cleo@example.com")
    modality = "PHONE" if intake == "PHONE_CONSULTATION" else "TELEHEALTH"
    assert (await book(api, cleo, practice.slug, local(3, clock), modality))["errors"] == []


async def test_booking_inside_the_minimum_notice_is_too_soon(api: Api) -> None:
    practice = await a_practice(api, windows=ALL_DAY)
    cleo = await a_client(api, "cleo@example.com")
    await refused(
        api, cleo, practice, next_quarter(utcnow() + timedelta(minutes=30)), "PHONE", "TOO_SOON"
    )


async def test_booking_a_past_time_is_in_the_past(api: Api) -> None:
    practice = await a_practice(api, windows=ALL_DAY)
    cleo = await a_client(api, "cleo@example.com")
    await refused(
        api, cleo, practice, next_quarter(utcnow() - timedelta(hours=3)), "PHONE", "IN_THE_PAST"
    )


@pytest.mark.parametrize("archived", [False, True])
async def test_a_client_on_the_roster_cannot_use_the_booking_link(api: Api, archived: bool) -> None:
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com")
    client_id = await on_roster(api, practice.provider, practice.id, cleo)
    if archived:
        request = {"providerId": practice.id, "clientId": client_id}
        await succeed(api, ARCHIVE_CLIENT, "archiveClient", request, practice.token)
    await refused(api, cleo, practice, local(3, "10:00"), "PHONE", "NEW_CLIENTS_ONLY")


async def test_a_client_with_an_earlier_appointment_cannot_use_the_booking_link(api: Api) -> None:
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com")
    await a_past_appointment(practice.provider, cleo)  # an appointment but no roster entry
    await refused(api, cleo, practice, local(3, "10:00"), "PHONE", "NEW_CLIENTS_ONLY")


async def test_a_second_booking_by_the_same_client_is_refused(api: Api) -> None:
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com")
    assert (await book(api, cleo, practice.slug, local(3, "10:00")))["errors"] == []
    await refused(api, cleo, practice, local(4, "10:00"), "PHONE", "NEW_CLIENTS_ONLY")


async def test_a_provider_cannot_book_themself_through_their_own_link(api: Api) -> None:
    practice = await a_practice(api)
    await refused(api, practice.provider, practice, local(3, "10:00"), "PHONE", "FORBIDDEN")


@pytest.mark.parametrize("state", ["archived", "removal requested", "removed"])
async def test_a_provider_leaving_the_practice_takes_no_bookings(api: Api, state: str) -> None:
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    group_id = await a_group(api, owner)
    member = await a_group_provider(api, group_id, owner, "gale@example.com")
    practice = await make_bookable(api, member)
    request = {"providerId": practice.id}
    if state == "archived":
        await succeed(api, ARCHIVE_PROVIDER, "archiveProvider", request, owner.token)
    else:
        removal = await succeed(
            api, REQUEST_REMOVAL, "requestProviderRemoval", request, owner.token
        )
        if state == "removed":
            staff = await a_staff_member(api)
            done = {"removalRequestId": removal["removalRequest"]["id"]}
            await succeed(api, COMPLETE_REMOVAL, "completeProviderRemoval", done, staff.token)
    cleo = await a_client(api, "cleo@example.com")
    await refused(api, cleo, practice, local(3, "10:00"), "PHONE", "PROVIDER_ARCHIVED")


async def test_a_taken_slot_is_unavailable(api: Api) -> None:
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com")
    dan = await a_client(api, "dan@example.com", "Dan Doe")
    assert (await book(api, cleo, practice.slug, local(3, "10:00")))["errors"] == []
    await refused(api, dan, practice, local(3, "10:00"), "PHONE", "SLOT_UNAVAILABLE")


async def test_a_slot_overlapping_a_follow_up_is_unavailable(api: Api) -> None:
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com")
    client_id = await on_roster(api, practice.provider, practice.id, cleo)
    await scheduled(api, practice, client_id, local(3, "10:00"))  # 10:00-10:50
    dan = await a_client(api, "dan@example.com", "Dan Doe")
    await refused(api, dan, practice, local(3, "10:30"), "PHONE", "SLOT_UNAVAILABLE")


async def test_telehealth_session_needs_a_default_location(api: Api) -> None:
    practice = await a_practice(api, intakeMode="FULL_SESSION", telehealth=False)
    cleo = await a_client(api, "cleo@example.com")
    await refused(api, cleo, practice, local(3, "10:00"), "TELEHEALTH", "TELEHEALTH_NOT_CONFIGURED")


@pytest.mark.parametrize("clock", ["10:00", "10:05"])  # an authority refusal comes first
async def test_unverified_client_cannot_book(api: Api, clock: str) -> None:
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com", verified=False)
    await refused(api, cleo, practice, local(3, clock), "PHONE", "EMAIL_NOT_VERIFIED")


async def test_unknown_booking_link_is_not_found(api: Api) -> None:
    practice = await a_practice(api)
    cleo = await a_client(api, "cleo@example.com")
    practice.slug = "no-such-provider"
    await refused(api, cleo, practice, local(3, "10:00"), "PHONE", "NOT_FOUND")


async def test_anonymous_visitor_cannot_book(api: Api) -> None:
    practice = await a_practice(api)
    before = await written()
    request = {
        "bookingSlug": practice.slug,
        "startsAt": iso(local(3, "10:00")),
        "modality": "PHONE",
    }
    result = await api(BOOK_FIRST_APPOINTMENT, {"input": request})
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert await written() == before


async def test_twenty_clients_racing_for_one_slot_get_one_appointment(
    api: Api, app: Starlette, smtp_server: SmtpServer
) -> None:
    practice = await a_practice(api)
    clients = [await a_client(api, f"racer{n}@example.com", f"Racer {n}") for n in range(20)]
    starts_at = local(3, "10:00")
    payloads = await asyncio.gather(*(book(api, c, practice.slug, starts_at) for c in clients))
    outcomes = sorted(codes(p)[0] if p["errors"] else "BOOKED" for p in payloads)
    assert outcomes == ["BOOKED"] + ["SLOT_UNAVAILABLE"] * 19
    assert await Appointment.all().count() == 1
    winner = next(c for c, p in zip(clients, payloads, strict=True) if not p["errors"])
    await smtp_server.wait_for(winner.email, kind="appointment_confirmation")
    await deliver_due_mail(app)  # any other confirmation would now have arrived
    confirmations = [
        m
        for c in clients
        for m in smtp_server.to(c.email)
        if m["X-Carepath-Kind"] == "appointment_confirmation"
    ]
    assert len(confirmations) == 1
