"""Managing webhook endpoints: who owns one, the validation and limits of RULES.md
"Webhooks", production's SSRF refusals, and the settings that drive delivery."""

from __future__ import annotations

import base64

import pytest

from carepath.models import WebhookDelivery, WebhookEndpoint
from carepath.models.enums import WebhookEventType
from carepath.schema.ids import to_global_id
from carepath.services import webhook_urls, webhooks
from carepath.services.errors import RuleViolation
from carepath.services.sessions import authenticate
from carepath.services.webhook_events import global_id
from carepath.settings import DEFAULT_WEBHOOK_RETRY_SCHEDULE, Settings, SettingsError, load_settings
from tests.practice_steps import a_team, codes
from tests.scheduling_steps import a_practice
from tests.support import Api
from tests.webhook_steps import (
    ALL_EVENTS,
    DELETE_ENDPOINT,
    DELIVERIES,
    GROUP_EVENTS,
    UPDATE_ENDPOINT,
    a_booking,
    an_endpoint,
    create_endpoint,
    mutate,
)

URL = "https://hooks.example.com/carepath"
BOOKED = WebhookEventType.APPOINTMENT_BOOKED


async def test_a_provider_registers_an_endpoint_and_gets_its_secret_once(api: Api) -> None:
    practice = await a_practice(api)
    payload = await create_endpoint(api, practice.token, URL, providerId=practice.id)

    assert payload["errors"] == []
    endpoint = payload["endpoint"]
    assert endpoint["url"] == URL and endpoint["events"] == ALL_EVENTS
    assert endpoint["enabled"] is True
    assert endpoint["provider"] == {"id": practice.id} and endpoint["group"] is None
    secret = payload["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32


async def test_a_groups_owner_and_admins_register_the_groups_endpoints(api: Api) -> None:
    team = await a_team(api)
    for person in (team.owner, team.admin):
        payload = await create_endpoint(api, person.token, URL, GROUP_EVENTS, groupId=team.group_id)
        assert payload["errors"] == []
        assert payload["endpoint"]["group"] == {"id": team.group_id}
        assert payload["endpoint"]["provider"] is None


async def test_exactly_one_of_provider_and_group_or_validation_on_provider_id(api: Api) -> None:
    team = await a_team(api)
    both = {"providerId": team.owner.provider_id, "groupId": team.group_id}
    for owner in (both, {}, {"providerId": None, "groupId": None}):
        payload = await create_endpoint(api, team.owner.token, URL, GROUP_EVENTS, **owner)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("VALIDATION", "providerId")
        ]
    assert await WebhookEndpoint.all().count() == 0


@pytest.mark.parametrize(
    "events",
    [[], ["APPOINTMENT_BOOKED", "APPOINTMENT_BOOKED"], [*ALL_EVENTS, "APPOINTMENT_BOOKED"]],
)
async def test_events_are_one_to_six_distinct_values(api: Api, events: list[str]) -> None:
    practice = await a_practice(api)
    payload = await create_endpoint(api, practice.token, URL, events, providerId=practice.id)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "events")]


async def test_a_group_endpoint_cannot_receive_messages(api: Api) -> None:
    team = await a_team(api)
    payload = await create_endpoint(api, team.admin.token, URL, groupId=team.group_id)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "events")]
    hook = await an_endpoint(api, team.admin.token, URL, GROUP_EVENTS, groupId=team.group_id)
    request = {"endpointId": hook.id, "events": ["MESSAGE_SENT"]}
    payload = await mutate(api, UPDATE_ENDPOINT, "updateWebhookEndpoint", request, team.admin.token)
    assert codes(payload) == ["VALIDATION"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "hooks.example.com/x",
        "/relative/path",
        "https:///no-host",
        "https://user:password@hooks.example.com/x",
        "https://token@hooks.example.com/x",
        "https://hooks.example.com/has space",
        "https://hooks.example.com:99999/",
        "https://hooks.example.com/" + "x" * 2000,
        "",
    ],
)
async def test_a_url_must_be_absolute_http_s_short_and_without_credentials(
    api: Api, url: str
) -> None:
    practice = await a_practice(api)
    payload = await create_endpoint(api, practice.token, url, providerId=practice.id)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "url")]


async def test_at_most_ten_endpoints_per_owner(api: Api) -> None:
    practice = await a_practice(api)
    for n in range(10):
        await an_endpoint(api, practice.token, f"{URL}/{n}", providerId=practice.id)
    payload = await create_endpoint(api, practice.token, URL, providerId=practice.id)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "url")]
    assert await WebhookEndpoint.all().count() == 10


async def test_an_update_changes_url_events_and_enabled(api: Api) -> None:
    practice = await a_practice(api)
    hook = await an_endpoint(api, practice.token, URL, providerId=practice.id)
    request = {
        "endpointId": hook.id,
        "url": "http://127.0.0.1:9/elsewhere",
        "events": ["MESSAGE_SENT"],
        "enabled": False,
    }
    payload = await mutate(api, UPDATE_ENDPOINT, "updateWebhookEndpoint", request, practice.token)
    assert payload["errors"] == []
    endpoint = payload["endpoint"]
    assert (endpoint["url"], endpoint["events"], endpoint["enabled"]) == (
        "http://127.0.0.1:9/elsewhere",
        ["MESSAGE_SENT"],
        False,
    )
    refused = {"endpointId": hook.id, "url": "https://a:b@hooks.example.com/"}
    payload = await mutate(api, UPDATE_ENDPOINT, "updateWebhookEndpoint", refused, practice.token)
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("VALIDATION", "url")]


async def test_deleting_an_endpoint_drops_it_and_its_deliveries(api: Api) -> None:
    practice = await a_practice(api)
    hook = await an_endpoint(api, practice.token, URL, providerId=practice.id)
    await a_booking(api, practice)
    assert await WebhookDelivery.all().count() == 1

    request = {"endpointId": hook.id}
    payload = await mutate(api, DELETE_ENDPOINT, "deleteWebhookEndpoint", request, practice.token)
    assert payload == {"ok": True, "errors": []}
    assert await WebhookDelivery.all().count() == 0
    assert (await api.data(DELIVERIES, {"id": hook.id}, token=practice.token))["node"] is None


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://10.1.2.3/hooks",
        "https://192.168.0.10/hooks",
        "https://172.16.5.4/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://0.0.0.0/hooks",
        "https://[::1]/hooks",
        "https://[fe80::1]/hooks",
        "https://[::ffff:127.0.0.1]/hooks",
        "http://93.184.216.34/hooks",
    ],
)
async def test_production_refuses_internal_hosts_and_plain_http(
    api: Api, settings: Settings, url: str
) -> None:
    practice = await a_practice(api)
    actor = await authenticate(settings, practice.token)
    production = settings.with_overrides(env="production")
    owner = webhooks.Owner(provider_id=(await actor.facts()).provider_id, provider_given=True)
    with pytest.raises(RuleViolation) as refused:
        await webhooks.create_endpoint(actor, production, owner, url, [])
    assert (refused.value.code, refused.value.field) == ("VALIDATION", "events")
    with pytest.raises(RuleViolation) as refused:
        await webhooks.create_endpoint(actor, production, owner, url, [BOOKED])
    assert (refused.value.code, refused.value.field) == ("VALIDATION", "url")


async def test_production_accepts_a_public_https_address() -> None:
    url = webhook_urls.check_url("https://93.184.216.34/hooks", production=True)
    await webhook_urls.check_host(url, production=True)
    assert await webhook_urls.allowed_addresses(url, production=True)


def test_webhook_settings_follow_the_rules() -> None:
    defaults = load_settings({})
    assert defaults.webhook_retry_schedule == DEFAULT_WEBHOOK_RETRY_SCHEDULE
    assert defaults.webhook_retry_schedule == (5, 300, 1800, 7200, 18000, 36000, 36000)
    assert defaults.webhook_timeout_seconds == 10
    assert defaults.webhook_worker_in_serve is True
    given = load_settings(
        {
            "WEBHOOK_RETRY_SCHEDULE": "1, 2,3",
            "WEBHOOK_TIMEOUT_SECONDS": "2.5",
            "WEBHOOK_WORKER_IN_SERVE": "false",
        }
    )
    assert given.webhook_retry_schedule == (1, 2, 3)
    assert given.webhook_timeout_seconds == 2.5 and given.webhook_worker_in_serve is False
    for bad in (
        {"WEBHOOK_RETRY_SCHEDULE": "5,soon"},
        {"WEBHOOK_RETRY_SCHEDULE": "-1"},
        {"WEBHOOK_TIMEOUT_SECONDS": "0"},
        {"WEBHOOK_TIMEOUT_SECONDS": "ten"},
    ):
        with pytest.raises(SettingsError):
            load_settings(bad)


def test_payload_ids_are_the_apis_global_ids() -> None:
    for type_name, pk in (("Appointment", 1), ("Client", 2_147_483_647), ("Group", 42)):
        assert global_id(type_name, pk) == to_global_id(type_name, pk)
    assert global_id("Group", None) is None
