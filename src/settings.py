"""Configuration from the environment, read once into a frozen Settings object."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEV_SECRET_KEY = "carepath-dev-secret-do-not-use-in-production"
# OWASP's floor for argon2id: production refuses cheaper password hashing.
MIN_ARGON2_TIME_COST = 2
MIN_ARGON2_MEMORY_KIB = 19 * 1024


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


def _flag(env: Mapping[str, str], name: str, default: bool = False) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


DEFAULT_WEBHOOK_RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_WEBHOOK_RETRIES = 50


def _retry_schedule(env: Mapping[str, str]) -> tuple[int, ...]:
    """WEBHOOK_RETRY_SCHEDULE: seconds before each retry, comma-separated (RULES.md)."""
    raw = env.get("WEBHOOK_RETRY_SCHEDULE", "").strip()
    if not raw:
        return DEFAULT_WEBHOOK_RETRY_SCHEDULE
    try:
        delays = tuple(int(part) for part in raw.split(","))
    except ValueError as exc:
        raise SettingsError(
            f"WEBHOOK_RETRY_SCHEDULE must be seconds, e.g. 5,300, got {raw!r}"
        ) from exc
    if any(d < 0 for d in delays) or len(delays) > MAX_WEBHOOK_RETRIES:
        raise SettingsError(
            f"WEBHOOK_RETRY_SCHEDULE holds at most {MAX_WEBHOOK_RETRIES} delays, none negative"
        )
    return delays


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from exc
    if not 0 < value <= 300:
        raise SettingsError(f"{name} must be more than 0 and at most 300 seconds, got {raw}")
    return value


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
    redis_channel_prefix: str | None = None  # none given: derived, see channel_prefix
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
    max_sockets_per_user: int = 10  # open WebSockets per account, per server process
    workers: int = 1  # uvicorn worker processes for `carepath serve` (WEB_CONCURRENCY)
    cors_origins: tuple[str, ...] = ()  # none given: PUBLIC_BASE_URL's origin
    # argon2id cost: RFC 9106's low-memory profile; tests use cheap values.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # Throttling (services/throttle.py): failed log-ins and reset emails per window.
    login_attempts_per_account: int = 10
    login_attempts_per_address: int = 50
    login_throttle_window_seconds: int = 15 * 60
    password_reset_emails_per_account: int = 3
    password_reset_requests_per_address: int = 30
    password_reset_window_seconds: int = 60 * 60
    sign_ups_per_address: int = 20
    sign_up_window_seconds: int = 60 * 60
    allow_sqlite_in_production: bool = False
    allow_embedded_mail_in_production: bool = False
    forwarded_allow_ips: str | None = None  # proxies trusted for X-Forwarded-For
    max_body_bytes: int = 1_048_576  # HTTP bodies and WebSocket messages
    request_body_timeout_seconds: int = 10
    request_header_timeout_seconds: int = 10
    # After SIGTERM, requests in flight get this long to finish before they are cancelled:
    # with the mail delivery in progress (SMTP_TIMEOUT_SECONDS at most) and closing the
    # database pool, under the 30 s most orchestrators wait before SIGKILL.
    shutdown_grace_seconds: int = 10
    # Observability and persisted queries (persisted_queries.py, logs.py, metrics.py).
    persisted_queries: str = "on"  # off | on | only
    persisted_queries_file: Path | None = None
    log_format: str = "text"  # json | text; load_settings: json in production
    metrics_enabled: bool = False
    otel_exporter_otlp_endpoint: str | None = None
    # Webhooks (services/webhook_delivery.py): retries, per-attempt timeout, parallel sends.
    webhook_retry_schedule: tuple[int, ...] = DEFAULT_WEBHOOK_RETRY_SCHEDULE
    webhook_timeout_seconds: float = 10.0
    webhook_concurrency: int = 10  # attempts in flight per worker, one per endpoint at most
    webhook_poll_seconds: float = 1.0
    webhook_worker_in_serve: bool = True  # false: only `carepath worker` sends webhooks

    @property
    def browser_origins(self) -> tuple[str, ...]:
        """Origins whose pages may call the API: CORS_ORIGINS, else the client app's own."""
        return self.cors_origins or (origin_of(self.public_base_url),)

    @property
    def channel_prefix(self) -> str:
        """Pub/sub channels' prefix: REDIS_CHANNEL_PREFIX, else one derived from the Redis
        database number and the database's name, since Redis pub/sub ignores the former."""
        if self.redis_channel_prefix:
            return self.redis_channel_prefix
        redis_db = urlsplit(self.redis_url or "").path.strip("/") or "0"
        database = urlsplit(self.database_url).path.rstrip("/").rsplit("/", 1)[-1]
        return f"carepath:{redis_db}:{database.removesuffix('.db') or 'default'}:"

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
        redis_channel_prefix=_optional(env, "REDIS_CHANNEL_PREFIX"),
        token_lifetime_minutes=_int(env, "TOKEN_LIFETIME_MINUTES", 12 * 60, minimum=1),
        idle_timeout_minutes=_int(env, "IDLE_TIMEOUT_MINUTES", 30, minimum=1),
        booking_min_notice_minutes=_int(env, "BOOKING_MIN_NOTICE_MINUTES", 120),
        reminder_lead_hours=_int(env, "REMINDER_LEAD_HOURS", 24, minimum=1),
        smtp_timeout_seconds=_int(env, "SMTP_TIMEOUT_SECONDS", 10, minimum=1),
        log_level=env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO",
        embedded_smtp_port=_int(env, "EMBEDDED_SMTP_PORT", 8025, minimum=1),
        session_recheck_seconds=_int(env, "SESSION_RECHECK_SECONDS", 60, minimum=1),
        max_sockets_per_user=_int(env, "MAX_SOCKETS_PER_USER", 10, minimum=1),
        workers=_int(env, "WEB_CONCURRENCY", 1, minimum=1),
        cors_origins=_origins(env),
        argon2_time_cost=_int(env, "ARGON2_TIME_COST", 3, minimum=1),
        argon2_memory_kib=_int(env, "ARGON2_MEMORY_KIB", 65536, minimum=8),
        argon2_parallelism=_int(env, "ARGON2_PARALLELISM", 4, minimum=1),
        login_attempts_per_account=_int(env, "LOGIN_ATTEMPTS_PER_ACCOUNT", 10, minimum=1),
        login_attempts_per_address=_int(env, "LOGIN_ATTEMPTS_PER_ADDRESS", 50, minimum=1),
        login_throttle_window_seconds=_int(env, "LOGIN_THROTTLE_WINDOW_SECONDS", 900, minimum=1),
        password_reset_emails_per_account=_int(
            env, "PASSWORD_RESET_EMAILS_PER_ACCOUNT", 3, minimum=1
        ),
        password_reset_requests_per_address=_int(
            env, "PASSWORD_RESET_REQUESTS_PER_ADDRESS", 30, minimum=1
        ),
        password_reset_window_seconds=_int(env, "PASSWORD_RESET_WINDOW_SECONDS", 3600, minimum=1),
        sign_ups_per_address=_int(env, "SIGN_UPS_PER_ADDRESS", 20, minimum=1),
        sign_up_window_seconds=_int(env, "SIGN_UP_WINDOW_SECONDS", 3600, minimum=1),
        allow_sqlite_in_production=_flag(env, "ALLOW_SQLITE_IN_PRODUCTION"),
        allow_embedded_mail_in_production=_flag(env, "ALLOW_EMBEDDED_MAIL_IN_PRODUCTION"),
        forwarded_allow_ips=_optional(env, "FORWARDED_ALLOW_IPS"),
        max_body_bytes=_int(env, "MAX_BODY_BYTES", 1_048_576, minimum=1024),
        request_body_timeout_seconds=_int(env, "REQUEST_BODY_TIMEOUT_SECONDS", 10, minimum=1),
        request_header_timeout_seconds=_int(env, "REQUEST_HEADER_TIMEOUT_SECONDS", 10, minimum=1),
        shutdown_grace_seconds=_int(env, "SHUTDOWN_GRACE_SECONDS", 10),
        persisted_queries=_choice(env, "PERSISTED_QUERIES", PERSISTED_QUERY_MODES, "on"),
        persisted_queries_file=_path(env, "PERSISTED_QUERIES_FILE"),
        log_format=_choice(env, "LOG_FORMAT", LOG_FORMATS, _default_log_format(env)),
        metrics_enabled=_flag(env, "METRICS_ENABLED"),
        otel_exporter_otlp_endpoint=_optional(env, "OTEL_EXPORTER_OTLP_ENDPOINT"),
        webhook_retry_schedule=_retry_schedule(env),
        webhook_timeout_seconds=_seconds(env, "WEBHOOK_TIMEOUT_SECONDS", 10.0),
        webhook_concurrency=_int(env, "WEBHOOK_CONCURRENCY", 10, minimum=1),
        webhook_poll_seconds=_seconds(env, "WEBHOOK_POLL_SECONDS", 1.0),
        webhook_worker_in_serve=_flag(env, "WEBHOOK_WORKER_IN_SERVE", default=True),
    )
    if settings.persisted_queries == "only" and settings.persisted_queries_file is None:
        raise SettingsError("PERSISTED_QUERIES=only needs PERSISTED_QUERIES_FILE (the allow-list)")
    origin_of(settings.public_base_url)  # refuse an unusable PUBLIC_BASE_URL at start
    if settings.is_production and settings.secret_key == DEV_SECRET_KEY:
        raise SettingsError("SECRET_KEY must be set when CAREPATH_ENV=production")
    if settings.is_production and len(settings.secret_key) < 32:
        raise SettingsError("SECRET_KEY must be at least 32 characters in production")
    if settings.argon2_memory_kib < 8 * settings.argon2_parallelism:
        raise SettingsError("ARGON2_MEMORY_KIB must be at least 8 x ARGON2_PARALLELISM")
    if settings.is_production and (
        settings.argon2_time_cost < MIN_ARGON2_TIME_COST
        or settings.argon2_memory_kib < MIN_ARGON2_MEMORY_KIB
    ):
        raise SettingsError(
            "ARGON2_TIME_COST and ARGON2_MEMORY_KIB are below OWASP's minimum for argon2id "
            f"(t={MIN_ARGON2_TIME_COST}, m={MIN_ARGON2_MEMORY_KIB} KiB) in production"
        )
    if settings.is_production:
        _refuse_development_services(settings)
    return settings


class _RecordingEnvironment(dict[str, str]):
    """An empty environment that notes every name asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)


def environment_variables() -> frozenset[str]:
    """Every variable load_settings reads, found by running it: deployment files name no
    other (tests/test_deploy_files.py), and a new setting needs no second list."""
    recording = _RecordingEnvironment()
    load_settings(recording)
    return frozenset(recording.asked)


PERSISTED_QUERY_MODES = ("off", "on", "only")
LOG_FORMATS = ("json", "text")


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _path(env: Mapping[str, str], name: str) -> Path | None:
    value = _optional(env, name)
    return Path(value) if value else None


def _default_log_format(env: Mapping[str, str]) -> str:
    """JSON lines in production, where a collector reads them; readable ones elsewhere."""
    return "json" if env.get("CAREPATH_ENV", "").strip() == "production" else "text"


def _refuse_development_services(settings: Settings) -> None:
    """SQLite and the embedded mail sink are for one machine; production says so or stops."""
    if settings.is_sqlite and not settings.allow_sqlite_in_production:
        raise SettingsError(
            "DATABASE_URL names SQLite while CAREPATH_ENV=production: use PostgreSQL, "
            "or set ALLOW_SQLITE_IN_PRODUCTION=true to run on SQLite anyway"
        )
    if settings.smtp_url is None and not settings.allow_embedded_mail_in_production:
        raise SettingsError(
            "SMTP_URL is not set while CAREPATH_ENV=production: mail would stay in the "
            "embedded sink; set SMTP_URL, or ALLOW_EMBEDDED_MAIL_IN_PRODUCTION=true"
        )
