"""The PHI access log as its readers see it: ids, roles and outcomes, never PHI."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import strawberry

from carepath.models import PhiAccessEvent as PhiAccessEventModel
from carepath.models import enums
from carepath.schema.ids import to_global_id
from carepath.services.phi_log import ANONYMOUS

PhiAccessOutcome = strawberry.enum(enums.PhiAccessOutcome, name="PhiAccessOutcome")


@strawberry.enum(description="The roles an actor held that can matter to an access.")
class PhiActorRole(StrEnum):
    ANONYMOUS = ANONYMOUS
    CLIENT = enums.Role.CLIENT.value
    PROVIDER = enums.Role.PROVIDER.value
    GROUP_ADMIN = enums.Role.GROUP_ADMIN.value
    STAFF = enums.Role.STAFF.value


@strawberry.type(
    description="A read of a client's PHI by someone other than the client, or a refused "
    "access. Holds ids only: what was seen is never copied here."
)
class PhiAccessEvent:
    model: strawberry.Private[PhiAccessEventModel]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return to_global_id("PhiAccessEvent", self.model.id)

    @strawberry.field
    def occurred_at(self) -> datetime:
        return self.model.occurred_at

    @strawberry.field(description="The account that acted (a User id); null when anonymous.")
    def actor_id(self) -> strawberry.ID | None:
        actor_id = self.model.actor_id
        return to_global_id("User", actor_id) if actor_id is not None else None

    @strawberry.field(
        description="The actor's roles at the time; CLIENT only when it was their only one."
    )
    def actor_roles(self) -> list[PhiActorRole]:
        return [PhiActorRole(role) for role in self.model.actor_roles.split(",") if role]

    @strawberry.field(description="`read`, or the name of the refused mutation.")
    def action(self) -> str:
        return self.model.action

    @strawberry.field(
        description="Client, Insurance, ClientLocation, Appointment, Conversation or Message."
    )
    def object_type(self) -> str:
        return self.model.object_type

    @strawberry.field(description="The object's id, in the API's form for its type.")
    def object_id(self) -> strawberry.ID | None:
        object_id = self.model.object_id
        return to_global_id(self.model.object_type, object_id) if object_id is not None else None

    @strawberry.field(description="Whose PHI it is (a Client id), when known.")
    def client_id(self) -> strawberry.ID | None:
        client_id = self.model.client_id
        return to_global_id("Client", client_id) if client_id is not None else None

    @strawberry.field
    def outcome(self) -> PhiAccessOutcome:  # type: ignore[valid-type]
        return PhiAccessOutcome(self.model.outcome)

    @strawberry.field(
        description="Shared by every row the same request (or socket operation) wrote."
    )
    def request_id(self) -> str:
        return self.model.request_id

    @strawberry.field
    def operation_name(self) -> str | None:
        return self.model.operation_name
