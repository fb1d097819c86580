"""Field-level access: the visibility rules of services.visibility, fed by loaders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NoReturn

from carepath.models import Client, Provider
from carepath.schema.context import Info
from carepath.schema.errors import forbidden, unauthenticated
from carepath.schema.prefetch import load_all, loaded
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
    await prefetch_client_visibility(info, [client.id])
    verdict = can_see_client_now(info, client)
    assert verdict is not None, "prefetch_client_visibility loaded all it needs"
    return verdict


async def prefetch_client_visibility(info: Info, client_ids: Sequence[int]) -> None:
    """What `can_see_client_now` reads, for every client of a page in one batch each."""
    viewer = await facts(info)
    if viewer.provider_id is None and not viewer.admin_group_ids:
        return
    loaders = info.context.loaders
    entries = await loaders.roster_by_client.load_many(client_ids)
    await load_all(loaders.provider_by_id, (e.provider_id for rows in entries for e in rows))
    if viewer.admin_group_ids:
        await load_all(loaders.group_bookings_by_client, client_ids)


def can_see_client_now(info: Info, client: Client) -> bool | None:
    """The visibility rule from what this request has loaded; None when some of it is
    not loaded yet (see prefetch_client_visibility)."""
    viewer = info.context.actor.known_facts
    if viewer is None:
        return None
    if viewer.client_id == client.id:
        return True
    if viewer.provider_id is None and not viewer.admin_group_ids:
        return False
    loaders = info.context.loaders
    entries = loaded(loaders.roster_by_client, client.id)
    if entries is None:
        return None
    rostered_by: list[tuple[int, int | None]] = []
    for entry in entries.value:
        provider = loaded(loaders.provider_by_id, entry.provider_id)
        if provider is None:
            return None
        if provider.value is not None:
            rostered_by.append((provider.value.id, provider.value.group_id))
    if viewer.admin_group_ids:
        bookings = loaded(loaders.group_bookings_by_client, client.id)
        if bookings is None:
            return None
        rostered_by += bookings.value
    return visibility.can_see_client(viewer, client.id, rostered_by)


async def require_manager(info: Info, provider: Provider) -> None:
    """Practice-side fields: the provider themself or their group's admins."""
    if not visibility.manages_provider(await facts(info), provider):
        deny(info)
