"""Configuration from the environment, read once into a frozen Settings object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

DEV_SECRET_KEY = "carepath-dev-secret-do-not-use-in-production"


class SettingsError(ValueError):
    """A configuration value is missing or unusable; the process must not start."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from exc
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{url!r} is not an http(s) URL")
    return f"{parts.scheme}://{parts.netloc}"


def _origins(env: Mapping[str, str]) -> tuple[str, ...]:
    """CORS_ORIGINS: the browser origins, comma-separated, allowed to call the API."""
    return tuple(origin_of(o.strip()) for o in env.get("CORS_ORIGINS", "").split(",") if o.strip())


def _optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    secret_key: str = DEV_SECRET_KEY
    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str = "http://127.0.0.1:8000"
    public_api_url: str = "http://127.0.0.1:8000"
    database_url: str = "sqlite://var/carepath.db"
    smtp_url: str | None = None
    mail_dir: Path = Path("var/mail")
    mail_from: str = "Carepath <no-reply@carepath.local>"
    redis_url: str | None = None
    token_lifetime_minutes: int = 12 * 60
    idle_timeout_minutes: int = 30
    verification_token_minutes: int = 48 * 60
    reset_token_minutes: int = 60
    booking_min_notice_minutes: int = 120
    reminder_lead_hours: int = 24
    smtp_timeout_seconds: int = 10
    mail_poll_seconds: float = 1.0
    mail_max_attempts: int = 12
    log_level: str = "INFO"
    embedded_smtp_port: int = 8025
    session_recheck_seconds: float = 60.0
    cors_origins: tuple[str, ...] = ()  # none given: PUBLIC_BASE_URL's origin
    max_body_bytes: int = 1_048_576  # HTTP bodies and WebSocket messages
    request_body_timeout_seconds: int = 10
    request_header_timeout_seconds: int = 10

    @property
    def browser_origins(self) -> tuple[str, ...]:
        """Origins whose pages may call the API: CORS_ORIGINS, else the client app's own."""
        return self.cors_origins or (origin_of(self.public_base_url),)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the environment once; refuse a production start with the dev secret."""
    env = os.environ if env is None else env
    host = env.get("HOST", "127.0.0.1").strip() or "127.0.0.1"
    port = _int(env, "PORT", 8000, minimum=1)
    settings = Settings(
        env=env.get("CAREPATH_ENV", "development").strip() or "development",
        secret_key=env.get("SECRET_KEY", "").strip() or DEV_SECRET_KEY,
        host=host,
        port=port,
        public_base_url=(env.get("PUBLIC_BASE_URL", "").strip() or f"http://{host}:{port}").rstrip(
            "/"
        ),
        public_api_url=(env.get("PUBLIC_API_URL", "").strip() or f"http://{host}:{port}").rstrip(
            "/"
        ),
        database_url=env.get("DATABASE_URL", "").strip() or "sqlite://var/carepath.db",
        smtp_url=_optional(env, "SMTP_URL"),
        mail_dir=Path(env.get("MAIL_DIR", "").strip() or "var/mail"),
        mail_from=env.get("MAIL_FROM", "").strip() or "Carepath <no-reply@carepath.local>",
        redis_url=_optional(env, "REDIS_URL"),
        token_lifetime_minutes=_int(env, "TOKEN_LIFETIME_MINUTES", 12 * 60, minimum=1),
        idle_timeout_minutes=_int(env, "IDLE_TIMEOUT_MINUTES", 30, minimum=1),
        booking_min_notice_minutes=_int(env, "BOOKING_MIN_NOTICE_MINUTES", 120),
        reminder_lead_hours=_int(env, "REMINDER_LEAD_HOURS", 24, minimum=1),
        smtp_timeout_seconds=_int(env, "SMTP_TIMEOUT_SECONDS", 10, minimum=1),
        log_level=env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO",
        embedded_smtp_port=_int(env, "EMBEDDED_SMTP_PORT", 8025, minimum=1),
        session_recheck_seconds=_int(env, "SESSION_RECHECK_SECONDS", 60, minimum=1),
        cors_origins=_origins(env),
        max_body_bytes=_int(env, "MAX_BODY_BYTES", 1_048_576, minimum=1024),
        request_body_timeout_seconds=_int(env, "REQUEST_BODY_TIMEOUT_SECONDS", 10, minimum=1),
        request_header_timeout_seconds=_int(env, "REQUEST_HEADER_TIMEOUT_SECONDS", 10, minimum=1),
    )
    origin_of(settings.public_base_url)  # refuse an unusable PUBLIC_BASE_URL at start
    if settings.is_production and settings.secret_key == DEV_SECRET_KEY:
        raise SettingsError("SECRET_KEY must be set when CAREPATH_ENV=production")
    if settings.is_production and len(settings.secret_key) < 32:
        raise SettingsError("SECRET_KEY must be at least 32 characters in production")
    return settings
