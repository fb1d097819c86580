"""Who sees and changes webhook endpoints (RULES.md "Webhooks"): their owner only. A client,
another provider, another group's admin, the group's own providers, staff and anonymous
callers get null from node, a refused field, and NOT_FOUND from the mutations."""

from __future__ import annotations

from dataclasses import dataclass

from carepath.models import WebhookDelivery
from carepath.schema.ids import to_global_id
from tests.practice_steps import (
    ARCHIVE_PROVIDER,
    Person,
    a_client,
    a_group,
    a_provider,
    a_staff_member,
    a_team,
    codes,
    succeed,
)
from tests.scheduling_steps import book, local, make_bookable
from tests.support import Api, error_codes
from tests.webhook_steps import (
    CREATE_ENDPOINT,
    DELETE_ENDPOINT,
    GROUP_EVENTS,
    REDELIVER,
    ROTATE_SECRET,
    UPDATE_ENDPOINT,
    Endpoint,
    an_endpoint,
    create_endpoint,
    mutate,
)

URL = "https://hooks.example.com/carepath"
NODE = """
query Node($id: ID!) { node(id: $id) {
  ... on WebhookEndpoint { id url } ... on WebhookDelivery { id payload } } }
"""
PROVIDER_ENDPOINTS = """
query P($id: ID!) { node(id: $id) { ... on Provider { webhookEndpoints { id } } } }
"""
GROUP_ENDPOINTS = """
query G($id: ID!) { node(id: $id) { ... on Group { webhookEndpoints { id } } } }
"""


@dataclass
class World:
    """A group (owner, admin, member provider) with a group endpoint and the member's own
    endpoint, each with a delivery; and everyone who must not see them."""

    owner: Person
    admin: Person
    member: Person
    group_id: str
    group_hook: Endpoint
    member_hook: Endpoint
    group_delivery: str
    member_delivery: str
    client: Person
    stranger: Person  # another provider
    other_admin: Person  # another group's owner
    staff: Person


async def a_world(api: Api) -> World:
    team = await a_team(api)
    member = await make_bookable(api, team.member)
    group_hook = await an_endpoint(api, team.admin.token, URL, GROUP_EVENTS, groupId=team.group_id)
    member_hook = await an_endpoint(api, member.token, URL, providerId=member.id)
    client = await a_client(api, "cleo@example.com")  # the client of the booked appointment
    assert (await book(api, client, member.slug, local(3, "10:00")))["errors"] == []
    rows = await WebhookDelivery.all().order_by("endpoint_id")
    group_delivery, member_delivery = (to_global_id("WebhookDelivery", r.id) for r in rows)
    other_admin = await a_provider(api, "otto@example.com", "Otto Other")
    await a_group(api, other_admin, "Other Minds")
    return World(
        team.owner,
        team.admin,
        member.provider,
        team.group_id,
        group_hook,
        member_hook,
        group_delivery,
        member_delivery,
        client,
        await a_provider(api, "stan@example.com", "Stan Stranger"),
        other_admin,
        await a_staff_member(api),
    )


async def visible(api: Api, token: str | None, global_id: str) -> bool:
    data = await api.data(NODE, {"id": global_id}, token=token)
    return data["node"] is not None


async def test_node_shows_endpoints_and_deliveries_to_their_owner_only(api: Api) -> None:
    w = await a_world(api)
    group_objects = (w.group_hook.id, w.group_delivery)
    member_objects = (w.member_hook.id, w.member_delivery)
    for global_id in group_objects:
        assert await visible(api, w.owner.token, global_id)
        assert await visible(api, w.admin.token, global_id)
    for global_id in member_objects:
        assert await visible(api, w.member.token, global_id)
    outsiders = [w.client, w.stranger, w.other_admin, w.staff]
    for global_id in group_objects:
        for person in [*outsiders, w.member]:
            assert not await visible(api, person.token, global_id), person.email
    for global_id in member_objects:  # a provider's own endpoint: not even their admins
        for person in [*outsiders, w.owner, w.admin]:
            assert not await visible(api, person.token, global_id), person.email
    for global_id in (*group_objects, *member_objects):
        assert not await visible(api, None, global_id)


async def test_provider_webhook_endpoints_is_the_providers_alone(api: Api) -> None:
    w = await a_world(api)
    variables = {"id": w.member.provider_id}
    mine = await api.data(PROVIDER_ENDPOINTS, variables, token=w.member.token)
    assert mine["node"]["webhookEndpoints"] == [{"id": w.member_hook.id}]
    for person in (w.client, w.stranger, w.other_admin, w.staff, w.owner, w.admin):
        result = await api(PROVIDER_ENDPOINTS, variables, token=person.token)
        assert error_codes(result) == ["FORBIDDEN"], person.email
    assert error_codes(await api(PROVIDER_ENDPOINTS, variables)) == ["UNAUTHENTICATED"]


async def test_group_webhook_endpoints_is_the_group_owners_and_admins(api: Api) -> None:
    w = await a_world(api)
    variables = {"id": w.group_id}
    for person in (w.owner, w.admin):
        data = await api.data(GROUP_ENDPOINTS, variables, token=person.token)
        assert data["node"]["webhookEndpoints"] == [{"id": w.group_hook.id}]
    for person in (w.member, w.client, w.stranger, w.other_admin, w.staff):
        result = await api(GROUP_ENDPOINTS, variables, token=person.token)
        assert error_codes(result) == ["FORBIDDEN"], person.email
    assert error_codes(await api(GROUP_ENDPOINTS, variables)) == ["UNAUTHENTICATED"]


async def test_changes_by_anyone_but_the_owner_are_not_found(api: Api) -> None:
    w = await a_world(api)
    for hook, owner, others in (
        (w.group_hook, w.admin, [w.member, w.client, w.stranger, w.other_admin, w.staff]),
        (w.member_hook, w.member, [w.owner, w.admin, w.client, w.stranger, w.staff]),
    ):
        for person in others:
            for document, name, request in (
                (
                    UPDATE_ENDPOINT,
                    "updateWebhookEndpoint",
                    {"endpointId": hook.id, "enabled": False},
                ),
                (ROTATE_SECRET, "rotateWebhookSecret", {"endpointId": hook.id}),
                (DELETE_ENDPOINT, "deleteWebhookEndpoint", {"endpointId": hook.id}),
            ):
                payload = await mutate(api, document, name, request, person.token)
                assert codes(payload) == ["NOT_FOUND"], (name, person.email)
                assert "secret" not in payload or payload["secret"] is None
                result = await api(document, {"input": request})
                assert error_codes(result) == ["UNAUTHENTICATED"]
        assert await visible(api, owner.token, hook.id)  # nothing was deleted
    for delivery, others in (
        (w.group_delivery, [w.member, w.client, w.stranger, w.other_admin, w.staff]),
        (w.member_delivery, [w.owner, w.admin, w.client, w.stranger, w.staff]),
    ):
        for person in others:
            request = {"deliveryId": delivery}
            payload = await mutate(api, REDELIVER, "redeliverWebhook", request, person.token)
            assert codes(payload) == ["NOT_FOUND"], person.email
        assert error_codes(await api(REDELIVER, {"input": {"deliveryId": delivery}})) == [
            "UNAUTHENTICATED"
        ]


async def test_creating_for_someone_elses_provider_or_group_is_refused(api: Api) -> None:
    w = await a_world(api)
    provider = {"providerId": w.member.provider_id}
    group = {"groupId": w.group_id}
    for person in (w.client, w.stranger, w.other_admin, w.owner, w.admin, w.staff):
        payload = await create_endpoint(api, person.token, URL, **provider)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("FORBIDDEN", "providerId")
        ], person.email
    for person in (w.client, w.stranger, w.other_admin, w.member, w.staff):
        payload = await create_endpoint(api, person.token, URL, GROUP_EVENTS, **group)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("NOT_IN_GROUP", "groupId")
        ], person.email
        assert payload["secret"] is None and payload["endpoint"] is None
    for owner in (provider, group):
        assert error_codes(
            await api(CREATE_ENDPOINT, {"input": {"url": URL, "events": GROUP_EVENTS, **owner}})
        ) == ["UNAUTHENTICATED"]


async def test_a_provider_the_caller_cannot_see_or_a_missing_group_is_not_found(api: Api) -> None:
    w = await a_world(api)
    request = {"providerId": w.member.provider_id}
    await succeed(api, ARCHIVE_PROVIDER, "archiveProvider", request, w.admin.token)
    payload = await create_endpoint(api, w.stranger.token, URL, providerId=w.member.provider_id)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", "providerId")]
    missing = to_global_id("Group", 999_999)
    payload = await create_endpoint(api, w.admin.token, URL, GROUP_EVENTS, groupId=missing)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", "groupId")]
