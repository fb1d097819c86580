"""Field-level access: the visibility rules of services.visibility, fed by loaders."""

from __future__ import annotations

from typing import NoReturn

from carepath.models import Client, Provider
from carepath.schema.context import Info
from carepath.schema.errors import forbidden, unauthenticated
from carepath.services import visibility
from carepath.services.actor import ActorFacts
from carepath.services.phi_log import PhiObject


async def facts(info: Info) -> ActorFacts:
    return await info.context.actor.facts()


def deny(info: Info, phi: PhiObject | None = None) -> NoReturn:
    """A restricted field: UNAUTHENTICATED for anonymous viewers, FORBIDDEN otherwise;
    logged as a refused access when it guards a client's PHI (`phi`)."""
    if phi is not None:
        info.context.phi.denied(phi)
    if info.context.actor.is_anonymous:
        raise unauthenticated()
    raise forbidden()


def phi_read(info: Info, object_type: str, object_id: int, client_id: int | None) -> None:
    """A field of a client's PHI was read: the PHI access log decides at the end of the
    operation whether it is the client's own read or one to record."""
    info.context.phi.read(PhiObject(object_type, object_id, client_id))


def phi_refused(info: Info, object_type: str, object_id: int, client_id: int | None) -> None:
    """`node` answers null for an object that exists but is hidden: a refused access."""
    info.context.phi.denied(PhiObject(object_type, object_id, client_id))


async def can_see_client(info: Info, client: Client) -> bool:
    viewer = await facts(info)
    if viewer.client_id == client.id:
        return True
    if viewer.provider_id is None and not viewer.admin_group_ids:
        return False
    entries = await info.context.loaders.roster_by_client.load(client.id)
    providers = await info.context.loaders.provider_by_id.load_many(
        [e.provider_id for e in entries]
    )
    rostered_by: list[tuple[int, int | None]] = [
        (p.id, p.group_id) for p in providers if p is not None
    ]
    if viewer.admin_group_ids:
        rostered_by += await info.context.loaders.group_bookings_by_client.load(client.id)
    return visibility.can_see_client(viewer, client.id, rostered_by)


async def require_manager(info: Info, provider: Provider) -> None:
    """Practice-side fields: the provider themself or their group's admins."""
    if not visibility.manages_provider(await facts(info), provider):
        deny(info)
