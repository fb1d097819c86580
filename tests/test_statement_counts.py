"""Every list field costs the same number of SQL statements for a page of 5 as for a page
of 50: related rows come through per-request loaders and batched pages, never a query
per row. Statements are counted as Tortoise sends them (tests/statements.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from carepath.clock import utcnow
from carepath.models import (
    Appointment,
    AuthSession,
    AvailabilityWindow,
    Client,
    ClientLocation,
    Conversation,
    Credential,
    Group,
    GroupMembership,
    Insurance,
    License,
    Message,
    Provider,
    RosterEntry,
    TelehealthLocation,
    User,
)
from carepath.models.enums import (
    AppointmentKind,
    AppointmentStatus,
    BookedBy,
    CredentialingStatus,
    GroupRole,
    IntakeMode,
    Modality,
    UsState,
    VerificationStatus,
)
from carepath.schema.ids import to_global_id
from carepath.services.security import token_digest
from tests.statements import counting_statements
from tests.support import Api

SIZE = 55  # more of everything than the largest page asked for


@dataclass
class Practice:
    provider: str  # tokens
    client: str
    admin: str
    group_id: str


async def _seed(secret: str) -> Practice:
    """A group of SIZE providers; the first has SIZE clients, appointments, conversations."""
    now = utcnow().replace(microsecond=0)
    rows: dict[type, list[Any]] = {}

    def add(model: type, **values: Any) -> int:
        bucket = rows.setdefault(model, [])
        bucket.append(model(id=len(bucket) + 1, **values))
        return len(bucket)

    def user(name: str) -> int:
        email = f"{name}@counts.test"
        return add(User, email=email, email_key=email, password_hash="x", full_name=name)

    owner = user("owner")
    group = add(Group, name="Counting Practice", owner_id=owner)
    add(GroupMembership, group_id=group, user_id=owner, role=GroupRole.OWNER)
    for p in range(1, SIZE + 1):
        add(
            Provider,
            user_id=user(f"provider{p}"),
            display_name=f"Dr. {p}",
            booking_slug=f"counts-{p}",
            intake_mode=IntakeMode.FULL_SESSION,
            time_zone="America/New_York",
            group_id=group,
        )
        add(
            License,
            provider_id=p,
            state=UsState("NY"),
            number=f"N{p}",
            status=VerificationStatus.VERIFIED,
        )
        add(Credential, provider_id=p, state=UsState("NY"), status=CredentialingStatus.CREDENTIALED)
        add(AvailabilityWindow, provider_id=p, weekday=1, start_minute=480, end_minute=1020)
        add(
            TelehealthLocation,
            provider_id=p,
            name="Doxy.me",
            url=f"https://doxy.me/{p}",
            is_default=True,
            hipaa_compliant=True,
            baa_signed=True,
            waiting_room_enabled=True,
        )
    for c in range(1, SIZE + 1):
        client_user = user(f"client{c}")
        add(Client, user_id=client_user)
        add(Insurance, client_id=c, payer_name="Blue", in_network=True)
        add(ClientLocation, client_id=c, state=UsState("NY"), label="home")
        add(RosterEntry, provider_id=1, client_id=c)
        for provider, client, hours in ((1, c, c), (c, 1, 100 + c)):
            if provider == 1 and client == 1 and hours > 100:
                continue
            starts = now - timedelta(days=30) + timedelta(hours=hours)
            add(
                Appointment,
                provider_id=provider,
                client_id=client,
                group_id=group,
                kind=AppointmentKind.SESSION,
                modality=Modality.TELEHEALTH,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=50),
                status=AppointmentStatus.SCHEDULED,
                booked_by=BookedBy.PROVIDER,
            )
        conversation = add(
            Conversation, provider_id=1, client_id=c, last_message_at=now + timedelta(seconds=c)
        )
        for m in range(12):
            sender = client_user if m % 2 else 2  # user 2 is the first provider's
            add(Message, conversation_id=conversation, sender_id=sender, body=f"m{m}")
    tokens = {}
    for name, user_id in (("provider", 2), ("client", 2 + SIZE), ("admin", owner)):
        token = f"counts-{name}"
        add(
            AuthSession,
            user_id=user_id,
            token_hash=token_digest(secret, token),
            expires_at=now + timedelta(hours=1),
            last_seen_at=now,
        )
        tokens[name] = token
    for model, bucket in rows.items():
        await model.bulk_create(bucket, batch_size=500)
    return Practice(
        tokens["provider"], tokens["client"], tokens["admin"], to_global_id("Group", group)
    )


@pytest.fixture
async def practice(api: Api) -> Practice:
    return await _seed(api.settings.secret_key)


async def statements_for(api: Api, document: str, size: int, token: str, **variables: Any) -> int:
    """Statements for the document at page size `size`; checks the pages came back full."""
    with counting_statements() as log:
        data = await api.data(document.replace("$N", str(size)), variables or None, token)
    assert _largest_page(data) == size, data
    return log.count


def _largest_page(value: Any) -> int:
    if isinstance(value, dict):
        found = len(value["edges"]) if isinstance(value.get("edges"), list) else 0
        return max([found, *(_largest_page(v) for v in value.values())])
    if isinstance(value, list):
        return max([0, *(_largest_page(v) for v in value)])
    return 0


DIRECTORY = """query {
  providers(first: $N) { edges { node {
    id displayName licenses { state status } credentials { state status }
    availability { weekday start end } group { id name }
    availableSlots(from: "2031-01-06T00:00:00Z", to: "2031-01-08T00:00:00Z") { startsAt }
  } } }
}"""

PROVIDER_APPOINTMENTS = """query { me { roles providerProfile {
  appointments(first: $N) { edges { node {
    id startsAt status client { id fullName email } provider { id displayName }
    telehealthLink telehealthInstructions clientLocation { id } cancellationReason
  } } }
} } }"""

PROVIDER_CLIENTS = """query { me { providerProfile {
  telehealthLocations { id url }
  clients(first: $N) { edges { node {
    id fullName email insurance { payerName } locations { id state } providers { id }
  } } }
} } }"""

CLIENT_APPOINTMENTS = """query { me { clientProfile {
  rosterInvitations { id }
  appointments(first: $N) { edges { node {
    id startsAt provider { id displayName licenses { state } } telehealthLink
  } } }
} } }"""

CONVERSATIONS = """query {
  conversations(first: $N) { edges { node {
    id unreadCount client { id fullName } provider { id displayName }
    messages(last: $N) { edges { node { id body sentAt sender { id fullName } } } }
  } } }
}"""

GROUP = """query { me { administers {
  admins { id } removalRequests { id }
  providers(first: $N) { edges { node { id displayName licenses { state } } } }
  clients(first: $N) { edges { node { id fullName email } } }
  appointments(first: $N) { edges { node { id client { id fullName } provider { id } } } }
} } }"""

RUNS = 3  # several runs: the fewest statements are the batching's true cost

CASES = [
    ("the directory of providers", DIRECTORY, "client"),
    ("a provider's appointments", PROVIDER_APPOINTMENTS, "provider"),
    ("a provider's clients", PROVIDER_CLIENTS, "provider"),
    ("a client's appointments", CLIENT_APPOINTMENTS, "client"),
    ("conversations with their messages", CONVERSATIONS, "provider"),
    ("a group's providers, clients and appointments", GROUP, "admin"),
]


@pytest.mark.parametrize(("name", "document", "who"), CASES, ids=[c[0] for c in CASES])
async def test_a_page_of_fifty_costs_the_statements_of_a_page_of_five(
    api: Api, practice: Practice, name: str, document: str, who: str
) -> None:
    token = getattr(practice, who)
    await statements_for(api, document, 5, token)  # parser and validation caches warm
    small = [await statements_for(api, document, 5, token) for _ in range(RUNS)]
    large = [await statements_for(api, document, 50, token) for _ in range(RUNS)]
    # On PostgreSQL replies come back on several connections in any order, so a loader
    # now and then dispatches in two batches: one statement more at either size, never
    # one per row (a query per row would add 45 here).
    assert min(large) <= max(small), f"{name}: {small} statements for 5 rows, {large} for 50"
    assert max(large) <= min(small) + 1, f"{name}: {small} for 5 rows, {large} for 50"


async def test_an_authenticated_request_reads_its_session_user_and_roles_in_one_statement(
    api: Api, practice: Practice
) -> None:
    with counting_statements() as log:
        data = await api.data("{ me { id email roles } }", token=practice.admin)
    assert data["me"]["roles"] == ["GROUP_ADMIN"]
    assert log.count == 1, log.statements
