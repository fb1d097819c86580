"""The `carepath` command: serve, worker, create-staff, mail requeue, export-schema, demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from tortoise.context import TortoiseContext
from uvicorn.supervisors import Multiprocess

from carepath.db import apply_migrations, ensure_sqlite_directory, tortoise_config
from carepath.logs import configure_logging, redacted_path
from carepath.settings import Settings, SettingsError, load_settings
from carepath.slow_clients import deadline_on

T = TypeVar("T")
log = logging.getLogger("carepath")


class RedactAccessLog(logging.Filter):
    """uvicorn's access log lines show the path (logs.redacted_path says why it is
    redacted). `carepath serve` writes its own request lines instead; this filter stays
    for uvicorn started some other way."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3:
            path, has_query, _ = str(args[2]).partition("?")
            record.args = (*args[:2], redacted_path(path, bool(has_query)), *args[3:])
        return True


def configure_command_logging(settings: Settings) -> None:
    """JSON lines in production (LOG_FORMAT=json), readable ones in development."""
    configure_logging(settings)
    logging.getLogger("uvicorn.access").addFilter(RedactAccessLog())


async def with_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Migrates, then runs `work` with the ORM initialised: for one-shot commands."""
    config = tortoise_config(settings.database_url)
    ensure_sqlite_directory(settings.database_url)
    await apply_migrations(config)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        return await work()


KEEP_ALIVE_SECONDS = 5  # an idle connection between requests


def server_options(settings: Settings) -> dict[str, Any]:
    """How `carepath serve` runs uvicorn: deadlines for slow clients (headers here, the
    body in the app), idle keep-alives closed, WebSocket messages as small as bodies."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level.lower(),
        "ws": "websockets-sansio",
        # Client addresses (throttling) come from X-Forwarded-For only behind a trusted proxy.
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": settings.forwarded_allow_ips or None,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "ws_max_size": settings.max_body_bytes,
        # Without it one stuck request holds the process until SIGKILL, and the mail
        # delivery in progress with it.
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        # Logging is ours (logs.py): uvicorn's records reach the root handler, and the
        # app's request line (observability.py) replaces uvicorn's access line.
        "log_config": None,
        "access_log": False,
    }


def server_config(settings: Settings, app: Any, **overrides: Any) -> uvicorn.Config:
    config = uvicorn.Config(app, **(server_options(settings) | overrides))
    return deadline_on(config, settings.request_header_timeout_seconds)


def serve(settings: Settings, args: argparse.Namespace) -> int:
    from carepath.app import create_app

    workers = args.workers if args.workers is not None else settings.workers
    refusal = workers_refusal(settings, workers)
    if refusal is not None:
        print(f"configuration error: {refusal}", file=sys.stderr)
        return 2
    if workers > 1:  # migrate once here, not in N lifespans at the same time
        asyncio.run(apply_migrations(tortoise_config(settings.database_url)))
        factory = "carepath.app:worker_from_environment"  # each worker sets up its logging
        config = server_config(settings, factory, factory=True, workers=workers)
        Multiprocess(config, sockets=[config.bind_socket()]).run()  # as uvicorn.run does
        return 0
    server = uvicorn.Server(server_config(settings, create_app(settings)))
    server.run()
    return 0 if server.started else 3  # 3: uvicorn's "startup failed"


def workers_refusal(settings: Settings, workers: int) -> str | None:
    """Why N workers cannot share this setup: each is its own process, so sessions' ends
    and subscriptions' events must travel through Redis, and SQLite is one machine's file
    with one writer at a time."""
    if workers <= 1:
        return None
    if settings.is_sqlite:
        return (
            f"--workers {workers} needs PostgreSQL: DATABASE_URL names SQLite, which "
            "serves one process; run one worker or set DATABASE_URL to PostgreSQL"
        )
    if not settings.redis_url:
        return (
            f"--workers {workers} needs REDIS_URL: without it, log-outs and messages in one "
            "worker would not reach sockets held by another"
        )
    return None


def worker(settings: Settings, _: argparse.Namespace) -> int:
    """The mail and webhook delivery workers as their own process (the app also runs them)."""
    from carepath.runtime import mail_worker, start_embedded_sink
    from carepath.services.webhook_delivery import WebhookWorker

    async def run() -> None:
        smtp_url = settings.smtp_url
        sink = None
        if smtp_url is None:
            sink = start_embedded_sink(settings)
            smtp_url = sink.url
        try:
            mail = mail_worker(settings, smtp_url)
            webhooks = WebhookWorker(settings, wake_mail=mail.wake)
            await asyncio.gather(mail.run_forever(), webhooks.run_forever())
        finally:
            if sink is not None:
                sink.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(with_database(settings, run))
    return 0


def create_staff(settings: Settings, args: argparse.Namespace) -> int:
    from carepath.services.accounts import create_staff as create
    from carepath.services.errors import RuleViolation

    password = args.password or getpass.getpass("Password for the staff account: ")

    async def run() -> None:
        user = await create(settings, args.email, password, args.full_name)
        print(f"staff account ready: {user.email}")

    try:
        asyncio.run(with_database(settings, run))
    except RuleViolation as violation:
        print(f"error: {violation.field or 'input'}: {violation.message}", file=sys.stderr)
        return 2
    return 0


def mail_requeue(settings: Settings, args: argparse.Namespace) -> int:
    """Dead letters (refused with a 5xx, or out of attempts) back into the queue."""
    from carepath.notifications.delivery import requeue_dead_letters

    async def run() -> None:
        entries = await requeue_dead_letters(dry_run=args.dry_run)
        for entry in entries:  # no address or subject: they can be PHI
            print(f"{entry.id}\t{entry.kind}\t{entry.attempts} attempts\t{entry.last_error}")
        verb = "would requeue" if args.dry_run else "requeued"
        print(f"{verb} {len(entries)} dead letter(s)")

    asyncio.run(with_database(settings, run))
    return 0


def export_schema(settings: Settings, args: argparse.Namespace) -> int:
    from carepath.api import schema

    Path(args.output).write_text(schema.as_str() + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def demo(settings: Settings, _: argparse.Namespace) -> int:
    from carepath.demo import load_demo

    asyncio.run(with_database(settings, lambda: load_demo(settings)))
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="carepath", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    serve_command = commands.add_parser("serve", help="serve the API (GraphiQL on /graphql)")
    serve_command.add_argument(
        "--workers",
        type=int,
        help="uvicorn worker processes (default WEB_CONCURRENCY, else 1); more than one "
        "needs PostgreSQL and REDIS_URL",
    )
    serve_command.set_defaults(run=serve)
    commands.add_parser("worker", help="deliver queued email and webhooks").set_defaults(run=worker)
    staff = commands.add_parser("create-staff", help="create or promote a staff account")
    staff.add_argument("--email", required=True)
    staff.add_argument("--password", help="prompted for when omitted")
    staff.add_argument("--full-name", default="Carepath staff")
    staff.set_defaults(run=create_staff)
    mail = commands.add_parser("mail", help="manage the outbox").add_subparsers(
        dest="mail_command", required=True
    )
    requeue = mail.add_parser("requeue", help="send dead letters again")
    requeue.add_argument("--dry-run", action="store_true", help="list them, change nothing")
    requeue.set_defaults(run=mail_requeue)
    export = commands.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("--output", default="schema.graphql")
    export.set_defaults(run=export_schema)
    commands.add_parser("demo", help="load demo data into the database").set_defaults(run=demo)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_command_logging(settings)
    return int(args.run(settings, args))


if __name__ == "__main__":
    sys.exit(main())
