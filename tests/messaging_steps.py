"""Given-steps for messaging: a provider and a client with care between them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from carepath.clock import utcnow
from carepath.models import Appointment, Client, Provider, RosterEntry
from carepath.models.enums import AppointmentKind, AppointmentStatus, BookedBy, Modality
from tests.factories import Account, sign_up
from tests.support import Api

BECOME_PROVIDER = """
mutation { becomeProvider(input: {displayName: "Dr. Rivera", intakeMode: FULL_SESSION,
  offersTelehealth: true, offersInPerson: false, timeZone: "America/New_York"}) {
  provider { id } errors { code } } }
"""
ME = "{ me { clientProfile { id } providerProfile { id } } }"


@dataclass
class Party:
    account: Account
    global_id: str  # the Provider or Client id
    pk: int


async def a_provider(api: Api, email: str = "rivera@example.com") -> Party:
    account = await sign_up(api, email, "Maria Rivera")
    data = await api.data(BECOME_PROVIDER, token=account.token)
    provider = data["becomeProvider"]["provider"]
    pk = (await Provider.get(user_id=account.pk)).id
    return Party(account, provider["id"], pk)


async def a_client(api: Api, email: str = "sam@example.com", name: str = "Sam Taylor") -> Party:
    account = await sign_up(api, email, name)
    data = await api.data(ME, token=account.token)
    pk = (await Client.get(user_id=account.pk)).id
    return Party(account, data["me"]["clientProfile"]["id"], pk)


async def care_between(provider: Party, client: Party, *, cancelled: bool = False) -> None:
    """A session was scheduled between them (the client is on the roster too)."""
    starts_at = utcnow() + timedelta(days=3)
    await Appointment.create(
        provider_id=provider.pk,
        client_id=client.pk,
        kind=AppointmentKind.SESSION,
        modality=Modality.TELEHEALTH,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
        status=AppointmentStatus.CANCELLED if cancelled else AppointmentStatus.SCHEDULED,
        booked_by=BookedBy.PROVIDER,
    )
    await RosterEntry.get_or_create(provider_id=provider.pk, client_id=client.pk)
