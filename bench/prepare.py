"""Before the servers start: migrate, seed, and count each document's SQL statements by
running it once through the app in this process (tests/statements.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from bench import documents
from bench.seed import Fixture, seed
from bench.servers import BENCH_SECRET
from carepath.app import create_app
from carepath.settings import Settings
from tests.statements import counting_statements


def bench_settings(database_url: str, scratch: Path) -> Settings:
    return Settings(
        secret_key=BENCH_SECRET,
        database_url=database_url,
        mail_dir=scratch / "mail",
        idle_timeout_minutes=120,
    )


def token_of(fixture: Fixture, who: str) -> str:
    return fixture.client_token if who == "client" else fixture.provider_token


def mutation_requests(fixture: Fixture) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    """Per mutation, requests that each succeed once (fresh clients, free slots)."""
    send = {"input": {"providerId": fixture.client_provider_id, "body": "See you Tuesday."}}
    return {
        "sendMessage": [(fixture.client_token, documents.SEND_MESSAGE, send)],
        "bookFirstAppointment": [
            (
                token,
                documents.BOOK_FIRST,
                {"input": {"bookingSlug": slug, "startsAt": starts, "modality": "TELEHEALTH"}},
            )
            for token, slug, starts in fixture.booking
        ],
        "scheduleAppointment": [
            (
                token,
                documents.SCHEDULE,
                {
                    "input": {
                        "providerId": p,
                        "clientId": c,
                        "startsAt": starts,
                        "modality": "TELEHEALTH",
                    }
                },
            )
            for token, p, c, starts in fixture.follow_ups
        ],
    }


async def _post(http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]) -> int:
    """Statements for one request; fails loudly on any GraphQL error."""
    headers = {"Authorization": f"Bearer {token}"}
    with counting_statements() as log:
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    body = response.json()
    payload = next(iter((body.get("data") or {}).values()), None)
    errors = body.get("errors") or (payload.get("errors") if isinstance(payload, dict) else None)
    if errors:
        raise RuntimeError(f"{query[:40]}...: {errors}")
    return log.count


async def prepare(database_url: str, scratch: Path) -> tuple[Fixture, dict[str, Any]]:
    """Seeds, then counts statements: reads at page sizes 5 and 50, and each mutation once
    (with a request taken off the end of its pool, so the timed runs never repeat it)."""
    settings = bench_settings(database_url, scratch)
    app = create_app(settings, run_mail_worker=False)
    counts: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        fixture = await seed(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for name, document, who in documents.READS:
                token = token_of(fixture, who)
                await _post(http, token, document, {})  # warm caches
                counts[name] = {
                    "statements": await _post(http, token, document, {}),
                    "page_5": await _post(http, token, documents.with_page(document, 5), {}),
                    "page_50": await _post(http, token, documents.with_page(document, 50), {}),
                }
            for name, pool in mutation_requests(fixture).items():
                token, query, variables = pool[-1]
                counts[name] = {"statements": await _post(http, token, query, variables)}
    fixture.booking.pop()
    fixture.follow_ups.pop()
    return fixture, counts


def main() -> None:
    """`python -m bench.prepare URL SCRATCH OUT`: prepare in a process of its own (Tortoise
    caches SQL per model, so two databases' dialects must not meet in one process)."""
    import asyncio
    import json
    import sys

    url, scratch, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    fixture, counts = asyncio.run(prepare(url, scratch))
    out.write_text(json.dumps({"fixture": fixture.as_json(), "counts": counts}))


def prepared(database_url: str, scratch: Path) -> tuple[Fixture, dict[str, Any]]:
    """prepare(), run in a subprocess."""
    import json
    import subprocess
    import sys

    out = scratch / "prepared.json"
    command = [sys.executable, "-m", "bench.prepare", database_url, str(scratch), str(out)]
    subprocess.run(command, check=True)
    data = json.loads(out.read_text())
    return Fixture(**data["fixture"]), data["counts"]


if __name__ == "__main__":
    main()
