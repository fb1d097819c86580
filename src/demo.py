"""`carepath demo`: a group practice with real-looking data to explore in GraphiQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from carepath.clock import utcnow
from carepath.models import (
    Appointment,
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
    Payout,
    Provider,
    RosterEntry,
    TelehealthLocation,
    User,
)
from carepath.models.enums import (
    AppointmentKind,
    AppointmentStatus,
    BillingType,
    BookedBy,
    CredentialingStatus,
    GroupRole,
    IntakeMode,
    Modality,
    UsState,
    VerificationStatus,
)
from carepath.services.providers import booking_slug
from carepath.services.security import hash_password
from carepath.settings import Settings

PASSWORD = "carepath demo password"
OWNER = "owner@demo.carepath.test"
ProviderSpec = tuple[str, str, IntakeMode, str, UsState]
PROVIDERS: list[ProviderSpec] = [
    (
        "rivera@demo.carepath.test",
        "Dr. Maria Rivera",
        IntakeMode.FULL_SESSION,
        "America/New_York",
        UsState("NY"),
    ),
    (
        "chen@demo.carepath.test",
        "Dr. Wei Chen",
        IntakeMode.PHONE_CONSULTATION,
        "America/Los_Angeles",
        UsState("CA"),
    ),
    (
        "okafor@demo.carepath.test",
        "Dr. Ada Okafor",
        IntakeMode.FULL_SESSION,
        "America/Chicago",
        UsState("IL"),
    ),
]
CLIENTS = [
    ("sam@demo.carepath.test", "Sam Taylor", UsState("NY"), "Blue Shield", True),
    ("jordan@demo.carepath.test", "Jordan Lee", UsState("CA"), "Acme Health", False),
    ("riley@demo.carepath.test", "Riley Morgan", UsState("IL"), None, False),
]


async def _user(email: str, name: str, password_hash: str) -> User:
    user = await User.create(
        email=email,
        email_key=email,
        password_hash=password_hash,
        full_name=name,
        email_verified_at=utcnow(),
    )
    await Client.create(user_id=user.id)
    return user


def _next_weekday_at(zone: str, days_ahead: int, hour: int) -> datetime:
    local = datetime.now(ZoneInfo(zone)) + timedelta(days=days_ahead)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


async def _provider(
    spec: tuple[str, str, IntakeMode, str, UsState], hashed: str, group: Group
) -> Provider:
    email, name, mode, zone, state = spec
    user = await _user(email, name, hashed)
    provider = await Provider.create(
        user_id=user.id,
        display_name=name,
        booking_slug=booking_slug(name),
        intake_mode=mode,
        time_zone=zone,
        offers_telehealth=True,
        offers_in_person=True,
        office_state=state,
        group_id=group.id,
        bio=f"{name.split()[-1]} practice, {state}.",
    )
    await License.create(
        provider_id=provider.id,
        state=state,
        number=f"{state}-{provider.id:05d}",
        status=VerificationStatus.VERIFIED,
    )
    await Credential.create(
        provider_id=provider.id, state=state, status=CredentialingStatus.CREDENTIALED
    )
    await AvailabilityWindow.bulk_create(
        [
            AvailabilityWindow(
                provider_id=provider.id, weekday=d, start_minute=9 * 60, end_minute=17 * 60
            )
            for d in range(1, 6)
        ]
    )
    await TelehealthLocation.create(
        provider_id=provider.id,
        name="Doxy.me",
        url=f"https://doxy.me/{provider.booking_slug}",
        instructions="Check in a few minutes early; the waiting room opens 10 minutes ahead.",
        is_default=True,
        hipaa_compliant=True,
        baa_signed=True,
        waiting_room_enabled=True,
    )
    return provider


async def _care(provider: Provider, client: Client, insured: bool) -> None:
    """A past confirmed session with its payout, a follow-up next week, a conversation."""
    await RosterEntry.create(provider_id=provider.id, client_id=client.id)
    location = await ClientLocation.get(client_id=client.id)
    past = _next_weekday_at(provider.time_zone, -7, 10)
    confirmed = await Appointment.create(
        provider_id=provider.id,
        client_id=client.id,
        group_id=provider.group_id,
        kind=AppointmentKind.SESSION,
        modality=Modality.TELEHEALTH,
        starts_at=past,
        ends_at=past + timedelta(minutes=50),
        status=AppointmentStatus.CONFIRMED,
        booked_by=BookedBy.CLIENT,
        confirmed_at=past + timedelta(minutes=50),
        client_location_id=location.id,
        billing_type=BillingType.INSURANCE if insured else BillingType.PRIVATE_PAY,
    )
    await Payout.create(
        appointment_id=confirmed.id, provider_id=provider.id, group_id=provider.group_id
    )
    future = _next_weekday_at(provider.time_zone, 7, 11)
    await Appointment.create(
        provider_id=provider.id,
        client_id=client.id,
        group_id=provider.group_id,
        kind=AppointmentKind.SESSION,
        modality=Modality.TELEHEALTH,
        starts_at=future,
        ends_at=future + timedelta(minutes=50),
        status=AppointmentStatus.SCHEDULED,
        booked_by=BookedBy.PROVIDER,
    )
    provider_user = await User.get(id=provider.user_id)
    client_user = await User.get(id=client.user_id)
    conversation = await Conversation.create(
        provider_id=provider.id, client_id=client.id, last_message_at=utcnow()
    )
    await Message.create(
        conversation_id=conversation.id,
        sender_id=provider_user.id,
        body="Good to see you last week. How are the sleep notes going?",
    )
    await Message.create(
        conversation_id=conversation.id,
        sender_id=client_user.id,
        body="Better, thanks! I'll bring them next session.",
    )


async def load_demo(settings: Settings) -> None:
    if await User.filter(email_key=OWNER).exists():
        print("Demo data is already loaded.")
    else:
        hashed = await hash_password(settings, PASSWORD)
        async with in_transaction():
            owner = await _user(OWNER, "Olivia Owner", hashed)
            group = await Group.create(name="Calm Minds Group Practice", owner_id=owner.id)
            await GroupMembership.create(group_id=group.id, user_id=owner.id, role=GroupRole.OWNER)
            admin = await _user("admin@demo.carepath.test", "Alex Admin", hashed)
            await GroupMembership.create(group_id=group.id, user_id=admin.id, role=GroupRole.ADMIN)
            providers = [await _provider(spec, hashed, group) for spec in PROVIDERS]
            for provider, (email, name, state, payer, in_network) in zip(
                providers, CLIENTS, strict=True
            ):
                user = await _user(email, name, hashed)
                client = await Client.get(user_id=user.id)
                await ClientLocation.create(client_id=client.id, state=state, label="Home")
                if payer:
                    await Insurance.create(
                        client_id=client.id, payer_name=payer, in_network=in_network
                    )
                await _care(provider, client, insured=bool(payer and in_network))
    _print_logins(settings)


def _print_logins(settings: Settings) -> None:
    print(
        f"Demo logins (password for all: {PASSWORD!r}), "
        f"GraphiQL at {settings.public_api_url}/graphql"
    )
    print(f"  group owner   {OWNER}")
    print("  group admin   admin@demo.carepath.test")
    for email, name, mode, _, state in PROVIDERS:
        print(f"  provider      {email}  ({name}, {mode}, {state})")
    for email, name, state, _, _ in CLIENTS:
        print(f"  client        {email}  ({name}, {state})")
