"""The bench's practice: 53 providers, ~2,000 clients, ~4,000 appointments, ~8,000 messages.

Rows go in with explicit ids through bulk inserts (seconds, not minutes); sessions are
written with known tokens, so the bench never hashes a password or logs in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.models import Model

from carepath.clock import utcnow
from carepath.models import (
    Appointment,
    AuthSession,
    AvailabilityWindow,
    Client,
    Conversation,
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
    IntakeMode,
    Modality,
    UsState,
    VerificationStatus,
)
from carepath.schema.ids import to_global_id
from carepath.services.security import token_digest
from carepath.settings import Settings

PROVIDERS = 53
CLIENTS = 2_003
APPOINTMENTS_PER_CLIENT = 2
FRESH_CLIENTS = 3_000  # one per bookFirstAppointment request
SUBSCRIBERS = 1_000  # clients with a session each, for the fan-out part
ZONE = "America/New_York"
# A precomputed argon2id hash: nobody logs in during the bench.
PASSWORD_HASH = "$argon2id$v=19$m=8,t=1,p=1$YmVuY2hzYWx0$0a0VfxpOIySm5xYHhx6Xfg"
STATES = [UsState("NY"), UsState("NJ"), UsState("CA")]


@dataclass
class Fixture:
    """What the bench needs to address the seeded practice."""

    provider_token: str = ""
    provider_id: str = ""
    provider_user_id: int = 0
    client_token: str = ""
    client_provider_id: str = ""
    booking: list[tuple[str, str, str]] = field(default_factory=list)  # token, slug, startsAt
    follow_ups: list[tuple[str, str, str, str]] = field(default_factory=list)
    # token, clientId, the token of a provider with the client on their roster
    subscribers: list[tuple[str, str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Rows:
    """Rows per model, with ids handed out in order."""

    def __init__(self) -> None:
        self.rows: dict[type[Model], list[Model]] = {}

    def add(self, model: type[Model], **values: Any) -> int:
        bucket = self.rows.setdefault(model, [])
        row = model(id=len(bucket) + 1, **values)
        bucket.append(row)
        return len(bucket)

    async def insert(self, postgres: bool) -> None:
        for model, rows in self.rows.items():
            await model.bulk_create(rows, batch_size=1000)
            if postgres:
                table = model._meta.db_table
                await connections.get("default").execute_script(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT MAX(id) FROM "{table}"))'
                )


def _user(rows: Rows, email: str, name: str, now: datetime) -> int:
    return rows.add(
        User,
        email=email,
        email_key=email,
        password_hash=PASSWORD_HASH,
        full_name=name,
        email_verified_at=now,
        created_at=now,
    )


def _session(rows: Rows, settings: Settings, user_id: int, token: str, now: datetime) -> str:
    rows.add(
        AuthSession,
        user_id=user_id,
        token_hash=token_digest(settings.secret_key, token),
        created_at=now,
        expires_at=now + timedelta(days=1),
        last_seen_at=now,
    )
    return token


def _providers(rows: Rows, now: datetime) -> None:
    for p in range(1, PROVIDERS + 1):
        user_id = _user(rows, f"provider{p}@bench.test", f"Dr. Bench {p}", now)
        rows.add(
            Provider,
            user_id=user_id,
            display_name=f"Dr. Bench {p}",
            bio="Cognitive behavioural therapy.",
            booking_slug=f"bench-{p}",
            intake_mode=IntakeMode.FULL_SESSION,
            offers_telehealth=True,
            time_zone=ZONE,
            office_state=UsState("NY"),
            created_at=now,
        )
        for i, state in enumerate(STATES):
            status = VerificationStatus.VERIFIED if i < 2 else VerificationStatus.PENDING
            rows.add(
                License,
                provider_id=p,
                state=state,
                number=f"L{p}-{i}",
                status=status,
                created_at=now,
            )
        for weekday in range(1, 8):
            rows.add(
                AvailabilityWindow,
                provider_id=p,
                weekday=weekday,
                start_minute=8 * 60,
                end_minute=20 * 60,
            )
        rows.add(
            TelehealthLocation,
            provider_id=p,
            name="Doxy.me",
            url=f"https://doxy.me/bench{p}",
            is_default=True,
            hipaa_compliant=True,
            baa_signed=True,
            waiting_room_enabled=True,
            created_at=now,
        )


def _clients(rows: Rows, now: datetime) -> None:
    """Every client on one provider's roster, with appointments and a conversation; the
    first provider (the one the bench reads as) also has the first 120 clients."""
    past = now - timedelta(days=200)
    slot: dict[int, int] = {}
    for c in range(1, CLIENTS + 1):
        user_id = _user(rows, f"client{c}@bench.test", f"Client Number {c}", now)
        client_id = rows.add(Client, user_id=user_id, created_at=now)
        providers = [1 + c % PROVIDERS] + ([1] if c <= 120 and c % PROVIDERS != 0 else [])
        for p in providers:
            rows.add(RosterEntry, provider_id=p, client_id=client_id, added_at=now)
        for _ in range(APPOINTMENTS_PER_CLIENT):
            p = providers[-1]
            slot[p] = slot.get(p, 0) + 1
            starts = past + timedelta(hours=slot[p])
            rows.add(
                Appointment,
                provider_id=p,
                client_id=client_id,
                kind=AppointmentKind.SESSION,
                modality=Modality.TELEHEALTH,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=50),
                status=AppointmentStatus.SCHEDULED,
                booked_by=BookedBy.PROVIDER,
                created_at=now,
            )
        _conversation(rows, providers[-1], client_id, user_id, now, 12 if c <= 120 else 4)


def _conversation(
    rows: Rows, provider_id: int, client_id: int, client_user: int, now: datetime, count: int
) -> None:
    sent = now - timedelta(days=3) + timedelta(seconds=client_id)
    conversation = rows.add(
        Conversation,
        provider_id=provider_id,
        client_id=client_id,
        last_message_at=sent + timedelta(minutes=count),
        created_at=sent,
    )
    provider_user = provider_id  # providers' users were created first, in order
    for m in range(count):
        rows.add(
            Message,
            conversation_id=conversation,
            sender_id=client_user if m % 2 == 0 else provider_user,
            body=f"Message {m} of a bench conversation.",
            sent_at=sent + timedelta(minutes=m),
            read_at=sent + timedelta(minutes=m + 1),
        )


def _fresh_clients(rows: Rows, settings: Settings, fixture: Fixture, now: datetime) -> None:
    """New clients for bookFirstAppointment (one each) and subscribers for the fan-out."""
    first_day = (now + timedelta(days=2)).date()
    for n in range(FRESH_CLIENTS + SUBSCRIBERS):
        user_id = _user(rows, f"fresh{n}@bench.test", f"Fresh Client {n}", now)
        client_id = rows.add(Client, user_id=user_id, created_at=now)
        token = _session(rows, settings, user_id, f"bench-fresh-{n}", now)
        if n >= FRESH_CLIENTS:
            provider = 1 + n % PROVIDERS
            rows.add(RosterEntry, provider_id=provider, client_id=client_id, added_at=now)
            starts = now - timedelta(days=100, hours=n)  # messaging opens with a session
            rows.add(
                Appointment,
                provider_id=provider,
                client_id=client_id,
                kind=AppointmentKind.SESSION,
                modality=Modality.TELEHEALTH,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=50),
                status=AppointmentStatus.SCHEDULED,
                booked_by=BookedBy.PROVIDER,
                created_at=now,
            )
            pair = (token, to_global_id("Client", client_id), f"bench-provider-{provider}")
            fixture.subscribers.append(pair)
            continue
        provider, index = 1 + n % PROVIDERS, n // PROVIDERS
        day, hour = first_day + timedelta(days=index // 12), 8 + index % 12
        starts = _local(day, hour)
        fixture.booking.append((token, f"bench-{provider}", starts))


def _local(day: Any, hour: int) -> str:
    from zoneinfo import ZoneInfo

    moment = datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(ZONE))
    return moment.isoformat()


def _follow_ups(rows: Rows, settings: Settings, fixture: Fixture, now: datetime) -> None:
    """scheduleAppointment requests: each provider schedules its first client, from day 40."""
    first_day = (now + timedelta(days=40)).date()
    tokens = [
        _session(rows, settings, p, f"bench-provider-{p}", now) for p in range(1, PROVIDERS + 1)
    ]
    for n in range(3_000):
        p = 1 + n % PROVIDERS
        index = n // PROVIDERS
        starts = _local(first_day + timedelta(days=index // 12), 8 + index % 12)
        client = p - 1 if p > 1 else PROVIDERS  # client c is on provider 1 + c % 53
        fixture.follow_ups.append(
            (tokens[p - 1], to_global_id("Provider", p), to_global_id("Client", client), starts)
        )
    fixture.provider_token = tokens[0]
    fixture.provider_id = to_global_id("Provider", 1)
    fixture.provider_user_id = 1


async def seed(settings: Settings) -> Fixture:
    """Inserts the practice into an empty, migrated database."""
    now = utcnow().replace(microsecond=0)
    rows, fixture = Rows(), Fixture()
    _providers(rows, now)
    _clients(rows, now)
    _fresh_clients(rows, settings, fixture, now)
    _follow_ups(rows, settings, fixture, now)
    client_user = PROVIDERS + 1  # the first client's user
    fixture.client_token = _session(rows, settings, client_user, "bench-client-1", now)
    fixture.client_provider_id = to_global_id("Provider", 1)  # client 1 talks to provider 1
    await rows.insert(postgres=not settings.is_sqlite)
    return fixture
