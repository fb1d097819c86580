"""Given-steps and GraphQL documents shared by the practice-management API tests.

Steps go through the API the way a user would; a few (payouts, statuses reached only
through other features) write rows with the models, and say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from carepath.clock import utcnow
from carepath.models import (
    Appointment,
    AvailabilityWindow,
    Client,
    ClientLocation,
    Credential,
    Group,
    GroupMembership,
    Insurance,
    License,
    Payout,
    Provider,
    ProviderRemovalRequest,
    RosterEntry,
    RosterInvitation,
    TelehealthLocation,
    User,
)
from carepath.models.enums import (
    AppointmentKind,
    AppointmentStatus,
    BookedBy,
    Modality,
    PayoutStatus,
)
from carepath.services.accounts import create_staff
from tests.factories import PASSWORD, Account, sign_up
from tests.support import Api

ERRORS = "errors { code field message }"
PROVIDER_FIELDS = """
fragment ProviderFields on Provider {
  id displayName bio bookingSlug intakeMode offersTelehealth offersInPerson timeZone
  officeState status group { id }
}
"""
ME_IDS = "query { me { id providerProfile { id } clientProfile { id } } }"
LOG_IN = """
mutation LogIn($input: LogInInput!) { logIn(input: $input) { token errors { code } } }
"""
BECOME_PROVIDER = (
    """
mutation BecomeProvider($input: BecomeProviderInput!) {
  becomeProvider(input: $input) { provider { ...ProviderFields } errors { code field message } }
}
"""
    + PROVIDER_FIELDS
)
CREATE_GROUP = """
mutation CreateGroup($input: CreateGroupInput!) {
  createGroup(input: $input) { group { id name } errors { code field message } }
}
"""
ADD_PROVIDER_TO_GROUP = (
    """
mutation AddProviderToGroup($input: AddProviderToGroupInput!) {
  addProviderToGroup(input: $input) {
    provider { ...ProviderFields } errors { code field message }
  }
}
"""
    + PROVIDER_FIELDS
)
ADD_GROUP_ADMIN = """
mutation AddGroupAdmin($input: AddGroupAdminInput!) {
  addGroupAdmin(input: $input) { group { id name } errors { code field message } }
}
"""
ARCHIVE_PROVIDER = """
mutation ArchiveProvider($input: ProviderIdInput!) {
  archiveProvider(input: $input) { provider { id status } errors { code field message } }
}
"""
UNARCHIVE_PROVIDER = """
mutation UnarchiveProvider($input: ProviderIdInput!) {
  unarchiveProvider(input: $input) { provider { id status } errors { code field message } }
}
"""
REQUEST_REMOVAL = """
mutation RequestRemoval($input: ProviderIdInput!) {
  requestProviderRemoval(input: $input) {
    removalRequest { id status provider { id status } requestedBy { id } }
    errors { code field message }
  }
}
"""
COMPLETE_REMOVAL = """
mutation CompleteRemoval($input: CompleteProviderRemovalInput!) {
  completeProviderRemoval(input: $input) {
    removalRequest { id status provider { id status } } errors { code field message }
  }
}
"""
MARK_PAYOUTS_PAID = """
mutation MarkPaid($input: MarkPayoutsPaidInput!) {
  markPayoutsPaid(input: $input) { payouts { id status paidAt } errors { code field message } }
}
"""
ADD_LICENSE = """
mutation AddLicense($input: AddLicenseInput!) {
  addLicense(input: $input) { license { id state number status } errors { code field message } }
}
"""
REVIEW_LICENSE = """
mutation ReviewLicense($input: ReviewLicenseInput!) {
  reviewLicense(input: $input) {
    license { id state number status } errors { code field message }
  }
}
"""
START_CREDENTIALING = """
mutation StartCredentialing($input: StartCredentialingInput!) {
  startCredentialing(input: $input) { credential { id state status } errors { code field message } }
}
"""
COMPLETE_CREDENTIALING = """
mutation CompleteCredentialing($input: CompleteCredentialingInput!) {
  completeCredentialing(input: $input) {
    credential { id state status } errors { code field message }
  }
}
"""
TELEHEALTH_FIELDS = "id name url instructions isDefault hipaaCompliant baaSigned waitingRoomEnabled"
ADD_TELEHEALTH_LOCATION = f"""
mutation AddTelehealthLocation($input: AddTelehealthLocationInput!) {{
  addTelehealthLocation(input: $input) {{ telehealthLocation {{ {TELEHEALTH_FIELDS} }} {ERRORS} }}
}}
"""
ADD_CLIENT_TO_ROSTER = """
mutation AddClientToRoster($input: AddClientToRosterInput!) {
  addClientToRoster(input: $input) {
    provider { id } client { id email fullName } errors { code field message }
  }
}
"""
RESPOND_TO_ROSTER_INVITATION = """
mutation Respond($input: RespondToRosterInvitationInput!) {
  respondToRosterInvitation(input: $input) {
    provider { id } client { id email fullName } errors { code field message }
  }
}
"""
ARCHIVE_CLIENT = """
mutation ArchiveClient($input: ArchiveClientInput!) {
  archiveClient(input: $input) { provider { id } client { id } errors { code field message } }
}
"""
SET_INSURANCE = """
mutation SetInsurance($input: SetInsuranceInput!) {
  setInsurance(input: $input) {
    client { id insurance { payerName inNetwork } } errors { code field message }
  }
}
"""
ADD_CLIENT_LOCATION = """
mutation AddClientLocation($input: AddClientLocationInput!) {
  addClientLocation(input: $input) {
    clientLocation { id state label } errors { code field message }
  }
}
"""

COMPLIANT_PLATFORM = {
    "name": "Doxy.me",
    "url": "https://doxy.me/dr-example",
    "instructions": "Check in a few minutes early.",
    "hipaaCompliant": True,
    "baaSigned": True,
    "waitingRoomEnabled": True,
}


@dataclass
class Person:
    """A signed-in account with the ids the API gave its profiles."""

    account: Account
    provider_id: str | None = None
    client_id: str | None = None

    @property
    def token(self) -> str:
        return self.account.token

    @property
    def email(self) -> str:
        return self.account.email

    @property
    def pk(self) -> int:
        return self.account.pk


async def mutate(
    api: Api, document: str, name: str, input: dict[str, Any], token: str | None
) -> dict[str, Any]:
    """The payload of a mutation that must not fail at the top level."""
    payload: dict[str, Any] = (await api.data(document, {"input": input}, token=token))[name]
    return payload


async def succeed(
    api: Api, document: str, name: str, input: dict[str, Any], token: str | None
) -> dict[str, Any]:
    payload = await mutate(api, document, name, input, token)
    assert payload["errors"] == [], payload["errors"]
    return payload


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def refresh(api: Api, person: Person) -> Person:
    """Reads the person's profile ids back from `me`."""
    me = (await api.data(ME_IDS, token=person.token))["me"]
    person.provider_id = (me["providerProfile"] or {}).get("id")
    person.client_id = (me["clientProfile"] or {}).get("id")
    return person


async def a_client(api: Api, email: str, name: str = "Casey Client", **kw: bool) -> Person:
    return await refresh(api, Person(await sign_up(api, email, name, **kw)))


def provider_input(display_name: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "displayName": display_name,
        "bio": "Anxiety and depression.",
        "intakeMode": "PHONE_CONSULTATION",
        "offersTelehealth": True,
        "offersInPerson": False,
        "timeZone": "America/New_York",
    }
    return values | overrides


async def a_provider(api: Api, email: str, name: str = "Pat Provider", **overrides: Any) -> Person:
    person = await a_client(api, email, name)
    await succeed(
        api, BECOME_PROVIDER, "becomeProvider", provider_input(name, **overrides), person.token
    )
    return await refresh(api, person)


async def a_staff_member(api: Api, email: str = "ops@carepath.test") -> Person:
    user = await create_staff(api.settings, email, PASSWORD, "Olive Ops")
    token = (await succeed(api, LOG_IN, "logIn", {"email": email, "password": PASSWORD}, None))[
        "token"
    ]
    return Person(Account(email=email, token=token, user_id="", pk=user.id))


async def a_group(api: Api, owner: Person, name: str = "Calm Minds") -> str:
    payload = await succeed(api, CREATE_GROUP, "createGroup", {"name": name}, owner.token)
    group_id: str = payload["group"]["id"]
    return group_id


async def a_group_provider(
    api: Api, group_id: str, admin: Person, email: str, name: str = "Gale Groupie"
) -> Person:
    """A verified account the group's owner or admin adds as a provider."""
    person = Person(await sign_up(api, email, name))
    await succeed(
        api,
        ADD_PROVIDER_TO_GROUP,
        "addProviderToGroup",
        {"groupId": group_id, "email": email, "displayName": name},
        admin.token,
    )
    return await refresh(api, person)


@dataclass(frozen=True)
class Team:
    """A group practice: its owner (a provider), a non-clinician admin and a member."""

    owner: Person
    group_id: str
    admin: Person
    member: Person


async def a_team(api: Api) -> Team:
    owner = await a_provider(api, "owner@example.com", "Olga Owner")
    group_id = await a_group(api, owner)
    admin = await a_group_admin(api, group_id, owner, "admin@example.com")
    member = await a_group_provider(api, group_id, owner, "gale@example.com")
    return Team(owner, group_id, admin, member)


async def a_group_admin(api: Api, group_id: str, owner: Person, email: str) -> Person:
    person = await a_client(api, email, "Ada Admin")
    await succeed(
        api, ADD_GROUP_ADMIN, "addGroupAdmin", {"groupId": group_id, "email": email}, owner.token
    )
    return person


async def on_roster(api: Api, by: Person, provider_id: str, client: Person) -> str:
    """The client on the provider's active roster, the way the rules allow: added at once
    when already in care with the practice, otherwise invited and accepting themselves."""
    payload = await succeed(
        api,
        ADD_CLIENT_TO_ROSTER,
        "addClientToRoster",
        {"providerId": provider_id, "email": client.email},
        by.token,
    )
    if payload["client"] is None:
        payload = await succeed(
            api,
            RESPOND_TO_ROSTER_INVITATION,
            "respondToRosterInvitation",
            {"providerId": provider_id, "accept": True},
            client.token,
        )
    client_id: str = payload["client"]["id"]
    return client_id


async def a_license(
    api: Api, provider: Person, state: str, staff: Person | None = None, number: str = "LIC-1"
) -> str:
    """A license the provider adds; verified by staff when `staff` is given."""
    payload = await succeed(
        api, ADD_LICENSE, "addLicense", {"state": state, "number": number}, provider.token
    )
    license_id: str = payload["license"]["id"]
    if staff is not None:
        await succeed(
            api,
            REVIEW_LICENSE,
            "reviewLicense",
            {"licenseId": license_id, "approve": True},
            staff.token,
        )
    return license_id


async def a_credential(api: Api, provider: Person, state: str) -> str:
    payload = await succeed(
        api, START_CREDENTIALING, "startCredentialing", {"state": state}, provider.token
    )
    credential_id: str = payload["credential"]["id"]
    return credential_id


async def provider_row(person: Person) -> Provider:
    return await Provider.get(user_id=person.pk)


async def client_row(person: Person) -> Client:
    return await Client.get(user_id=person.pk)


async def a_payout(
    provider: Person, client: Person, status: PayoutStatus = PayoutStatus.PENDING
) -> Payout:
    """Model given-step: a session that took place and what it owes the group.

    Confirming sessions belongs to scheduling; here only the payout's existence matters.
    """
    row = await provider_row(provider)
    earlier = await Appointment.filter(provider_id=row.id).count()  # one per day, no overlap
    starts_at = utcnow() - timedelta(days=2 + earlier)
    appointment = await Appointment.create(
        provider_id=row.id,
        client_id=(await client_row(client)).id,
        group_id=row.group_id,
        kind=AppointmentKind.SESSION,
        modality=Modality.TELEHEALTH,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
        status=AppointmentStatus.CONFIRMED,
        booked_by=BookedBy.PROVIDER,
        confirmed_at=starts_at + timedelta(minutes=50),
    )
    return await Payout.create(
        appointment_id=appointment.id,
        provider_id=row.id,
        group_id=row.group_id,
        status=status,
        paid_at=utcnow() if status == PayoutStatus.PAID else None,
    )


SNAPSHOT_MODELS = (
    User,
    Client,
    Provider,
    License,
    Credential,
    AvailabilityWindow,
    TelehealthLocation,
    Group,
    GroupMembership,
    RosterEntry,
    RosterInvitation,
    Insurance,
    ClientLocation,
    ProviderRemovalRequest,
    Appointment,
    Payout,
)


async def db_state() -> dict[str, list[dict[str, Any]]]:
    """Every practice row: a refused mutation leaves this exactly as it was."""
    return {model.__name__: await model.all().order_by("id").values() for model in SNAPSHOT_MODELS}
