"""Throttling: failed log-ins per account and per address, reset emails per account."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from typing import Any

import httpx
import pytest

from carepath.app import create_app
from carepath.models import OutboxEmail
from carepath.notifications.mailsink import free_port
from carepath.settings import Settings, SettingsError, load_settings
from tests.factories import PASSWORD, sign_up
from tests.live import serving
from tests.security.conftest import SMALL_LIMITS, ClientAt, app_with, client_of
from tests.support import Api, SmtpServer

LOG_IN = """
mutation LogIn($email: String!, $password: String!) {
  logIn(input: {email: $email, password: $password}) { token errors { code field message } }
}
"""
REQUEST_RESET = """
mutation Reset($email: String!) {
  requestPasswordReset(input: {email: $email}) { ok errors { code field message } }
}
"""
WRONG = "not the password at all"


async def log_in(api: Api, email: str, password: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await api.data(LOG_IN, {"email": email, "password": password}))[
        "logIn"
    ]
    return payload


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def fail(api: Api, email: str, times: int) -> None:
    for _ in range(times):
        assert codes(await log_in(api, email, WRONG)) == ["INVALID_CREDENTIALS"]


async def test_the_right_password_is_refused_after_too_many_wrong_ones(
    client_at: ClientAt,
) -> None:
    async with client_at("203.0.113.1") as api:
        await sign_up(api, "target@example.com")
        await fail(api, "target@example.com", SMALL_LIMITS["login_attempts_per_account"])
        refused = await log_in(api, "target@example.com", PASSWORD)
    assert codes(refused) == ["RATE_LIMITED"]
    assert refused["token"] is None
    assert "try again" in refused["errors"][0]["message"].lower()


async def test_an_unknown_email_is_limited_exactly_like_an_existing_one(
    client_at: ClientAt,
) -> None:
    limit = SMALL_LIMITS["login_attempts_per_account"]
    async with client_at("203.0.113.2") as api:
        await sign_up(api, "exists@example.com")
        await fail(api, "exists@example.com", limit)
        known = await log_in(api, "exists@example.com", PASSWORD)
    async with client_at("203.0.113.3") as api:
        await fail(api, "ghost@example.com", limit)
        unknown = await log_in(api, "ghost@example.com", PASSWORD)
    assert codes(known) == ["RATE_LIMITED"]
    assert known["errors"] == unknown["errors"]


async def test_the_account_limit_follows_the_email_from_any_address(
    client_at: ClientAt,
) -> None:
    async with client_at("203.0.113.4") as api:
        await sign_up(api, "roaming@example.com")
        await fail(api, "roaming@example.com", 2)
    async with client_at("203.0.113.5") as api:
        await fail(api, " Roaming@Example.com ", 1)
        assert codes(await log_in(api, "roaming@example.com", PASSWORD)) == ["RATE_LIMITED"]


async def test_a_successful_log_in_clears_the_accounts_failures(client_at: ClientAt) -> None:
    """Each round from its own address, so that only the account's count is at play."""
    async with client_at("203.0.113.6") as api:
        await sign_up(api, "forgetful@example.com")
    for address in ("198.51.100.61", "198.51.100.62"):
        async with client_at(address) as api:
            await fail(api, "forgetful@example.com", 2)
            assert (await log_in(api, "forgetful@example.com", PASSWORD))["errors"] == []
    async with client_at("198.51.100.63") as api:
        await fail(api, "forgetful@example.com", 3)
        assert codes(await log_in(api, "forgetful@example.com", PASSWORD)) == ["RATE_LIMITED"]


async def test_failures_from_one_address_across_many_emails_are_limited(
    client_at: ClientAt,
) -> None:
    async with client_at("198.51.100.1") as api:
        await sign_up(api, "victim@example.com")
    async with client_at("203.0.113.66") as sprayer:
        for n in range(SMALL_LIMITS["login_attempts_per_address"]):
            await fail(sprayer, f"guess{n}@example.com", 1)
        assert codes(await log_in(sprayer, "victim@example.com", PASSWORD)) == ["RATE_LIMITED"]
        assert codes(await log_in(sprayer, "guess9@example.com", WRONG)) == ["RATE_LIMITED"]
    async with client_at("198.51.100.1") as owner:
        assert (await log_in(owner, "victim@example.com", PASSWORD))["errors"] == []


async def test_successful_log_ins_do_not_count_against_an_address(client_at: ClientAt) -> None:
    async with client_at("203.0.113.8") as api:
        await sign_up(api, "busy@example.com")
        for _ in range(SMALL_LIMITS["login_attempts_per_address"] + 2):
            assert (await log_in(api, "busy@example.com", PASSWORD))["errors"] == []
        await fail(api, "busy@example.com", 1)


async def test_reset_emails_to_one_account_are_capped(
    client_at: ClientAt, smtp_server: SmtpServer
) -> None:
    allowed = SMALL_LIMITS["password_reset_emails_per_account"]
    async with client_at("203.0.113.9") as api:
        await sign_up(api, "inbox@example.com", verified=False)
        answers = [
            (await api.data(REQUEST_RESET, {"email": "inbox@example.com"}))["requestPasswordReset"]
            for _ in range(allowed + 2)
        ]
    assert [a["ok"] for a in answers] == [True] * allowed + [False] * 2
    assert codes(answers[-1]) == ["RATE_LIMITED"]
    await smtp_server.wait_for("inbox@example.com", count=allowed, kind="reset_password")
    await asyncio.sleep(0.3)
    assert len(smtp_server.to("inbox@example.com")) == 1 + allowed  # verification + resets
    assert await OutboxEmail.filter(to_address="inbox@example.com").count() == 1 + allowed


async def test_reset_requests_for_unknown_emails_are_limited_alike(client_at: ClientAt) -> None:
    allowed = SMALL_LIMITS["password_reset_emails_per_account"]
    async with client_at("203.0.113.10") as api:
        await sign_up(api, "known@example.com", verified=False)
        known = [
            (await api.data(REQUEST_RESET, {"email": "known@example.com"}))["requestPasswordReset"]
            for _ in range(allowed + 1)
        ]
    async with client_at("203.0.113.11") as api:
        unknown = [
            (await api.data(REQUEST_RESET, {"email": "nobody@example.com"}))["requestPasswordReset"]
            for _ in range(allowed + 1)
        ]
    assert known == unknown
    assert codes(known[-1]) == ["RATE_LIMITED"]


async def test_reset_requests_from_one_address_are_capped(
    client_at: ClientAt, smtp_server: SmtpServer
) -> None:
    per_address = SMALL_LIMITS["password_reset_requests_per_address"]
    async with client_at("198.51.100.2") as api:
        await sign_up(api, "last@example.com", verified=False)
    async with client_at("203.0.113.12") as api:
        for n in range(per_address):
            result = await api.data(REQUEST_RESET, {"email": f"someone{n}@example.com"})
            assert result["requestPasswordReset"]["ok"] is True
        refused = (await api.data(REQUEST_RESET, {"email": "last@example.com"}))[
            "requestPasswordReset"
        ]
    assert codes(refused) == ["RATE_LIMITED"]
    await asyncio.sleep(0.3)
    assert [m["X-Carepath-Kind"] for m in smtp_server.to("last@example.com")] == ["verify_email"]


async def test_an_unreachable_redis_lets_log_ins_through_with_a_warning(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_with(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0", **SMALL_LIMITS)
    caplog.set_level(logging.WARNING, logger="carepath.services.throttle")
    try:
        async with client_of(app, "203.0.113.13") as api:
            await sign_up(api, "outage@example.com")
            await fail(api, "outage@example.com", SMALL_LIMITS["login_attempts_per_account"] + 1)
            assert (await log_in(api, "outage@example.com", PASSWORD))["errors"] == []
            reset = await api.data(REQUEST_RESET, {"email": "outage@example.com"})
            assert reset["requestPasswordReset"]["ok"] is True
    finally:
        await app.state.runtime.throttle.close()
    warnings = [r for r in caplog.records if "throttle storage unavailable" in r.getMessage()]
    assert len(warnings) == 1  # at most one a minute, however many attempts
    assert "outage@example.com" not in caplog.text


def test_throttle_limits_are_read_from_the_environment() -> None:
    settings = load_settings(
        {
            "LOGIN_ATTEMPTS_PER_ACCOUNT": "4",
            "LOGIN_ATTEMPTS_PER_ADDRESS": "40",
            "LOGIN_THROTTLE_WINDOW_SECONDS": "600",
            "PASSWORD_RESET_EMAILS_PER_ACCOUNT": "2",
            "PASSWORD_RESET_REQUESTS_PER_ADDRESS": "20",
            "PASSWORD_RESET_WINDOW_SECONDS": "1800",
        }
    )
    assert (
        settings.login_attempts_per_account,
        settings.login_attempts_per_address,
        settings.login_throttle_window_seconds,
        settings.password_reset_emails_per_account,
        settings.password_reset_requests_per_address,
        settings.password_reset_window_seconds,
    ) == (4, 40, 600, 2, 20, 1800)
    with pytest.raises(SettingsError, match="LOGIN_ATTEMPTS_PER_ACCOUNT"):
        load_settings({"LOGIN_ATTEMPTS_PER_ACCOUNT": "0"})


@pytest.mark.redis
async def test_two_app_instances_share_their_counts_through_redis(settings: Settings) -> None:
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("needs REDIS_URL")
    first = app_with(settings, redis_url=redis_url, **SMALL_LIMITS)
    second = app_with(settings, redis_url=redis_url, **SMALL_LIMITS)
    email = f"shared-{uuid.uuid4().hex[:8]}@example.com"  # Redis outlives this test run
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.1"
    try:
        async with client_of(first, address) as one, client_of(second, address) as two:
            await sign_up(one, email)
            await fail(one, email, 2)
            await fail(two, email, 1)
            assert codes(await log_in(one, email, PASSWORD)) == ["RATE_LIMITED"]
            assert codes(await log_in(two, email, PASSWORD)) == ["RATE_LIMITED"]
    finally:
        await first.state.runtime.throttle.close()
        await second.state.runtime.throttle.close()


SIGN_UP = """
mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token errors { code } } }
"""


async def test_sign_ups_are_limited_per_address(app: Any, settings: Settings) -> None:
    limited = app_with(settings, sign_ups_per_address=2)

    async def sign_up_from(address: str, email: str) -> dict[str, Any]:
        request = {"email": email, "password": PASSWORD, "fullName": "New Person"}
        async with client_of(limited, address) as api:
            payload: dict[str, Any] = (await api.data(SIGN_UP, {"input": request}))["signUp"]
        return payload

    for n in range(2):
        assert codes(await sign_up_from("203.0.113.50", f"new{n}@example.com")) == []
    refused = await sign_up_from("203.0.113.50", "new2@example.com")
    assert codes(refused) == ["RATE_LIMITED"] and refused["token"] is None
    assert not await OutboxEmail.filter(to_address="new2@example.com").exists()
    assert codes(await sign_up_from("198.51.100.9", "new2@example.com")) == []


@pytest.mark.parametrize("trusted", [True, False])
async def test_behind_a_trusted_proxy_each_forwarded_address_is_throttled_apart(
    settings: Settings, trusted: bool
) -> None:
    """FORWARDED_ALLOW_IPS names the proxy: its X-Forwarded-For is the client's address.
    Without it, the header is ignored and every request counts against the proxy."""
    from carepath.cli import server_config

    proxy = "127.0.0.1" if trusted else None
    limited = settings.with_overrides(**SMALL_LIMITS, forwarded_allow_ips=proxy)
    config = server_config(limited, create_app(limited, run_mail_worker=False),
                           host="127.0.0.1", port=free_port(), lifespan="off",
                           log_level="warning")  # fmt: skip
    async with serving(config) as address, httpx.AsyncClient(base_url=f"http://{address}") as http:

        async def log_in_from(ip: str, email: str) -> list[str]:
            body = {"query": LOG_IN, "variables": {"email": email, "password": WRONG}}
            response = await http.post("/graphql", json=body, headers={"X-Forwarded-For": ip})
            return codes(response.json()["data"]["logIn"])

        for n in range(SMALL_LIMITS["login_attempts_per_address"]):
            assert await log_in_from("203.0.113.7", f"x{n}@example.com") == ["INVALID_CREDENTIALS"]
        other_client = await log_in_from("198.51.100.4", "y@example.com")
    assert other_client == (["INVALID_CREDENTIALS"] if trusted else ["RATE_LIMITED"])
