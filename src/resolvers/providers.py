"""Provider mutations: profile, availability, licenses and credentialing, telehealth."""

from __future__ import annotations

import strawberry

from carepath.models.enums import IntakeMode, UsState
from carepath.resolvers.common import attempt
from carepath.schema.context import Info
from carepath.schema.ids import pk_of
from carepath.schema.payloads import (
    CredentialPayload,
    LicensePayload,
    OkPayload,
    ProviderPayload,
    TelehealthLocationPayload,
)
from carepath.schema.types.practice import (
    Credential,
    License,
    Provider,
    TelehealthLocation,
)
from carepath.services import credentialing, providers, telehealth
from carepath.services.providers import ProviderProfile
from carepath.services.telehealth import Platform


@strawberry.input
class BecomeProviderInput:
    display_name: str
    bio: str | None = None
    intake_mode: IntakeMode
    offers_telehealth: bool
    offers_in_person: bool
    time_zone: str
    office_state: UsState | None = strawberry.field(
        default=None, description="Required when offersInPerson is true."
    )


@strawberry.input
class UpdateProviderInput:
    provider_id: strawberry.ID
    display_name: str | None = None
    bio: str | None = None
    intake_mode: IntakeMode | None = None
    offers_telehealth: bool | None = None
    offers_in_person: bool | None = None
    time_zone: str | None = None
    office_state: UsState | None = None


@strawberry.input
class AvailabilityWindowInput:
    weekday: int
    start: str
    end: str


@strawberry.input
class SetAvailabilityInput:
    provider_id: strawberry.ID
    windows: list[AvailabilityWindowInput]


@strawberry.input
class AddLicenseInput:
    state: UsState
    number: str


@strawberry.input
class ReviewLicenseInput:
    license_id: strawberry.ID
    approve: bool


@strawberry.input
class StartCredentialingInput:
    state: UsState


@strawberry.input
class CompleteCredentialingInput:
    credential_id: strawberry.ID
    approve: bool


@strawberry.input
class AddTelehealthLocationInput:
    name: str
    url: str
    instructions: str | None = None
    hipaa_compliant: bool
    baa_signed: bool
    waiting_room_enabled: bool
    make_default: bool = True


@strawberry.input
class UpdateTelehealthLocationInput:
    telehealth_location_id: strawberry.ID
    name: str | None = None
    url: str | None = None
    instructions: str | None = None
    hipaa_compliant: bool | None = None
    baa_signed: bool | None = None
    waiting_room_enabled: bool | None = None
    make_default: bool | None = None


@strawberry.input
class RemoveTelehealthLocationInput:
    telehealth_location_id: strawberry.ID


def _profile(source: BecomeProviderInput | UpdateProviderInput) -> ProviderProfile:
    return ProviderProfile(
        display_name=source.display_name,
        bio=source.bio,
        intake_mode=source.intake_mode,
        offers_telehealth=source.offers_telehealth,
        offers_in_person=source.offers_in_person,
        time_zone=source.time_zone,
        office_state=source.office_state,
    )


def _platform(source: AddTelehealthLocationInput | UpdateTelehealthLocationInput) -> Platform:
    return Platform(
        name=source.name,
        url=source.url,
        instructions=source.instructions,
        hipaa_compliant=source.hipaa_compliant,
        baa_signed=source.baa_signed,
        waiting_room_enabled=source.waiting_room_enabled,
    )


@strawberry.type
class ProviderMutations:
    @strawberry.mutation(description="Gives the signed-in user a solo provider profile.")
    async def become_provider(self, info: Info, input: BecomeProviderInput) -> ProviderPayload:
        actor = info.context.actor
        provider, errors = await attempt(info, providers.become_provider(actor, _profile(input)))
        return ProviderPayload(
            provider=Provider(model=provider) if provider else None, errors=errors
        )

    @strawberry.mutation
    async def update_provider(self, info: Info, input: UpdateProviderInput) -> ProviderPayload:
        call = providers.update_provider(
            info.context.actor, pk_of(input.provider_id, "Provider"), _profile(input)
        )
        provider, errors = await attempt(info, call)
        return ProviderPayload(
            provider=Provider(model=provider) if provider else None, errors=errors
        )

    @strawberry.mutation
    async def set_availability(self, info: Info, input: SetAvailabilityInput) -> ProviderPayload:
        windows = [(w.weekday, w.start, w.end) for w in input.windows]
        call = providers.set_availability(
            info.context.actor, pk_of(input.provider_id, "Provider"), windows
        )
        provider, errors = await attempt(info, call)
        return ProviderPayload(
            provider=Provider(model=provider) if provider else None, errors=errors
        )

    @strawberry.mutation
    async def add_license(self, info: Info, input: AddLicenseInput) -> LicensePayload:
        call = credentialing.add_license(info.context.actor, input.state, input.number)
        license, errors = await attempt(info, call)
        return LicensePayload(license=License.of(license) if license else None, errors=errors)

    @strawberry.mutation(description="Staff only.")
    async def review_license(self, info: Info, input: ReviewLicenseInput) -> LicensePayload:
        call = credentialing.review_license(
            info.context.actor, pk_of(input.license_id, "License"), input.approve
        )
        license, errors = await attempt(info, call)
        return LicensePayload(license=License.of(license) if license else None, errors=errors)

    @strawberry.mutation
    async def start_credentialing(
        self, info: Info, input: StartCredentialingInput
    ) -> CredentialPayload:
        credential, errors = await attempt(
            info, credentialing.start_credentialing(info.context.actor, input.state)
        )
        return CredentialPayload(
            credential=Credential.of(credential) if credential else None, errors=errors
        )

    @strawberry.mutation(description="Staff only.")
    async def complete_credentialing(
        self, info: Info, input: CompleteCredentialingInput
    ) -> CredentialPayload:
        call = credentialing.complete_credentialing(
            info.context.actor, pk_of(input.credential_id, "Credential"), input.approve
        )
        credential, errors = await attempt(info, call)
        return CredentialPayload(
            credential=Credential.of(credential) if credential else None, errors=errors
        )

    @strawberry.mutation
    async def add_telehealth_location(
        self, info: Info, input: AddTelehealthLocationInput
    ) -> TelehealthLocationPayload:
        call = telehealth.add_location(info.context.actor, _platform(input), input.make_default)
        location, errors = await attempt(info, call)
        return TelehealthLocationPayload(
            telehealth_location=TelehealthLocation(model=location) if location else None,
            errors=errors,
        )

    @strawberry.mutation
    async def update_telehealth_location(
        self, info: Info, input: UpdateTelehealthLocationInput
    ) -> TelehealthLocationPayload:
        location_id = pk_of(input.telehealth_location_id, "TelehealthLocation")
        call = telehealth.update_location(
            info.context.actor, location_id, _platform(input), input.make_default
        )
        location, errors = await attempt(info, call)
        return TelehealthLocationPayload(
            telehealth_location=TelehealthLocation(model=location) if location else None,
            errors=errors,
        )

    @strawberry.mutation
    async def remove_telehealth_location(
        self, info: Info, input: RemoveTelehealthLocationInput
    ) -> OkPayload:
        location_id = pk_of(input.telehealth_location_id, "TelehealthLocation")
        _, errors = await attempt(info, telehealth.remove_location(info.context.actor, location_id))
        return OkPayload(ok=not errors, errors=errors)
