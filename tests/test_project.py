"""The project stays consistent: migrations match the models, schema.graphql matches the code."""

from __future__ import annotations

from pathlib import Path

import pytest
from tortoise.context import TortoiseContext
from tortoise.migrations.autodetector import MigrationAutodetector

from carepath.api import schema
from carepath.cli import main
from carepath.db import tortoise_config
from carepath.settings import DEV_SECRET_KEY, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


async def test_migrations_match_the_models(tmp_path: Path) -> None:
    config = tortoise_config(f"sqlite://{tmp_path / 'drift.db'}")
    async with TortoiseContext() as ctx:
        await ctx.init(config=config, init_connections=False)
        apps = {label: dict(app) for label, app in config["apps"].items()}
        writers = await MigrationAutodetector(ctx.apps, apps).changes()
    pending = [op for writer in writers for op in writer.migration.operations]
    assert pending == [], "models changed without a migration: run `tortoise makemigrations`"


def test_checked_in_schema_matches_the_code() -> None:
    checked_in = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert checked_in == schema.as_str() + "\n", "run `make schema` and commit schema.graphql"


def test_export_schema_writes_the_sdl(tmp_path: Path) -> None:
    output = tmp_path / "out.graphql"
    assert main(["export-schema", "--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == schema.as_str() + "\n"


def test_production_refuses_the_dev_secret() -> None:
    services = {"DATABASE_URL": "postgres://db/carepath", "SMTP_URL": "smtp://mail:25"}
    with pytest.raises(SettingsError):
        load_settings({"CAREPATH_ENV": "production", **services})
    with pytest.raises(SettingsError):
        load_settings({"CAREPATH_ENV": "production", "SECRET_KEY": DEV_SECRET_KEY, **services})
    with pytest.raises(SettingsError):
        load_settings({"CAREPATH_ENV": "production", "SECRET_KEY": "short", **services})
    ok = load_settings({"CAREPATH_ENV": "production", "SECRET_KEY": "s" * 40, **services})
    assert ok.secret_key == "s" * 40


def test_settings_defaults_follow_the_rules() -> None:
    settings = load_settings({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.public_base_url == "http://127.0.0.1:8000"
    assert settings.database_url == "sqlite://var/carepath.db"
    assert settings.smtp_url is None and settings.redis_url is None
    assert settings.booking_min_notice_minutes == 120 and settings.reminder_lead_hours == 24


def test_settings_read_the_environment() -> None:
    settings = load_settings(
        {"PORT": "9000", "HOST": "0.0.0.0", "REMINDER_LEAD_HOURS": "48", "SMTP_URL": "smtp://m:25"}
    )
    assert settings.public_api_url == "http://0.0.0.0:9000"
    assert settings.reminder_lead_hours == 48 and settings.smtp_url == "smtp://m:25"
    with pytest.raises(SettingsError):
        load_settings({"PORT": "eighty"})


def test_browser_origins_default_to_the_client_apps_own() -> None:
    assert load_settings({}).browser_origins == ("http://127.0.0.1:8000",)
    app_url = load_settings({"PUBLIC_BASE_URL": "https://app.example.com/portal/"})
    assert app_url.browser_origins == ("https://app.example.com",)
    listed = load_settings({"CORS_ORIGINS": "https://a.example.com, https://b.example.com/"})
    assert listed.browser_origins == ("https://a.example.com", "https://b.example.com")
    for bad in ({"CORS_ORIGINS": "ftp://files.example.com"}, {"PUBLIC_BASE_URL": "app"}):
        with pytest.raises(SettingsError):
            load_settings(bad)


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/calendar/s3cr3t.ics", "/calendar/[redacted].ics"),
        ("/graphql?query={me{email}}&variables={%22s3cr3t%22:1}", "/graphql?[redacted]"),
        ("/healthz", "/healthz"),
    ],
)
def test_access_log_hides_calendar_secrets_and_query_strings(path: str, logged: str) -> None:
    import logging

    from carepath.cli import RedactAccessLog

    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", path, "1.1", 405), None,
    )  # fmt: skip
    assert RedactAccessLog().filter(record)
    assert "s3cr3t" not in record.getMessage()
    assert f"GET {logged} HTTP" in record.getMessage()


def test_password_hashing_keeps_rfc_9106_cost_unless_told_otherwise() -> None:
    from carepath.services.security import hasher_for

    stored = hasher_for(load_settings({})).hash("a long passphrase")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    cheap = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "8", "ARGON2_PARALLELISM": "1"}
    assert hasher_for(load_settings(cheap)).hash("x").startswith("$argon2id$v=19$m=8,t=1,p=1$")
    with pytest.raises(SettingsError, match="ARGON2"):
        load_settings({"CAREPATH_ENV": "production", "SECRET_KEY": "s" * 40, **cheap})


async def test_a_hash_made_with_other_parameters_still_verifies() -> None:
    from carepath.services.security import hash_password, verify_password

    strong, cheap = load_settings({}), load_settings({"ARGON2_TIME_COST": "1"})
    stored = await hash_password(strong, "a long passphrase")
    assert await verify_password(cheap, stored, "a long passphrase")
    assert not await verify_password(cheap, stored, "a wrong passphrase")
