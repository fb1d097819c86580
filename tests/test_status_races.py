"""Status changes are guarded in their own transaction: a session confirmed while it is
being cancelled (or moved) ends one way or the other, never both."""

from __future__ import annotations

import asyncio
from typing import Any

from carepath.models import Appointment, Payout
from carepath.models.enums import AppointmentStatus
from carepath.schema.ids import pk_of
from tests.practice_steps import codes, mutate
from tests.scheduling_steps import CANCEL_APPOINTMENT, RESCHEDULE_APPOINTMENT, iso, local
from tests.support import Api
from tests.test_confirm_session import care, confirm

ATTEMPTS = 12


async def later(delay: float, work: Any) -> dict[str, Any]:
    await asyncio.sleep(delay)
    result: dict[str, Any] = await work
    return result


async def test_a_session_confirmed_while_it_is_cancelled_is_one_or_the_other(api: Api) -> None:
    team = await care(api)
    await team.licensed(api)
    location_id = await team.located(api)
    token = team.practice.token
    for step in range(ATTEMPTS):  # the cancel starts at a different moment of the confirm
        session_id = await team.past_session(minutes_ago=30 + 60 * step)
        cancel = mutate(api, CANCEL_APPOINTMENT, "cancelAppointment",
                        {"appointmentId": session_id, "reason": None}, token)  # fmt: skip
        confirmed, cancelled = await asyncio.gather(
            confirm(api, token, session_id, location_id), later(0.002 * step, cancel)
        )
        outcomes = sorted([codes(confirmed), codes(cancelled)])
        assert outcomes == [[], ["INVALID_STATUS"]], (step, outcomes)
    for row in await Appointment.filter(status=AppointmentStatus.CANCELLED):
        assert not await Payout.filter(appointment_id=row.id).exists()
    assert (
        await Payout.all().count()
        + await Appointment.filter(status=AppointmentStatus.CANCELLED).count()
        == ATTEMPTS
    )


async def test_a_session_confirmed_while_it_is_moved_keeps_its_time(api: Api) -> None:
    team = await care(api)
    await team.licensed(api)
    location_id = await team.located(api)
    token = team.practice.token
    for step in range(ATTEMPTS):
        session_id = await team.past_session(minutes_ago=30 + 60 * step)
        before = await Appointment.get(id=pk_of(session_id, "Appointment"))
        move = {"appointmentId": session_id, "startsAt": iso(local(3 + step, "10:00"))}
        moved = mutate(api, RESCHEDULE_APPOINTMENT, "rescheduleAppointment", move, token)
        confirmed, rescheduled = await asyncio.gather(
            confirm(api, token, session_id, location_id), later(0.002 * step, moved)
        )
        outcomes = sorted([codes(confirmed), codes(rescheduled)])
        assert outcomes in ([[], ["INVALID_STATUS"]], [[], ["SESSION_NOT_STARTED"]]), step
        after = await Appointment.get(id=before.id)
        if after.status == AppointmentStatus.CONFIRMED:  # a session confirmed where it was
            assert after.starts_at == before.starts_at, step
        else:
            assert after.starts_at != before.starts_at and not await Payout.exists(
                appointment_id=after.id
            ), step
