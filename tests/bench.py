"""`make bench`: figures for the hot paths, through the real app on a scratch database.

Prints requests per second and latency percentiles; it asserts nothing (speed goals are
read from these figures, not from timed tests).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from carepath.app import create_app
from carepath.settings import Settings

ROUNDS = 300
PASSWORD = "a benchmark passphrase"


async def measure(name: str, call: Callable[[], Awaitable[object]], rounds: int = ROUNDS) -> None:
    for _ in range(10):
        await call()  # warm caches
    timings = []
    started = time.perf_counter()
    for _ in range(rounds):
        begin = time.perf_counter()
        await call()
        timings.append(time.perf_counter() - begin)
    elapsed = time.perf_counter() - started
    timings.sort()
    p50, p95 = timings[len(timings) // 2], timings[int(len(timings) * 0.95)]
    print(
        f"{name:<40} {rounds / elapsed:8.0f} req/s   p50 {p50 * 1000:6.2f} ms"
        f"   p95 {p95 * 1000:6.2f} ms   mean {statistics.mean(timings) * 1000:6.2f} ms"
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(
            database_url=f"sqlite://{Path(scratch) / 'bench.db'}",
            mail_dir=Path(scratch) / "mail",
            embedded_smtp_port=0,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                await run(http)


async def run(http: httpx.AsyncClient) -> None:
    async def post(query: str, token: str | None = None) -> dict[str, object]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await http.post("/graphql", json={"query": query}, headers=headers)
        return dict(response.json())

    signed = await post(
        'mutation { signUp(input: {email: "bench@example.com", password: "%s",'
        ' fullName: "Bench Mark"}) { token } }' % PASSWORD
    )
    token = signed["data"]["signUp"]["token"]  # type: ignore[index]
    await measure("{ __typename } (anonymous)", lambda: post("{ __typename }"))
    await measure(
        "{ me { id email roles } } (bearer)", lambda: post("{ me { id email roles } }", token)
    )
    await measure(
        "providers(first: 20) directory",
        lambda: post("{ providers(first: 20) { edges { node { id displayName } } } }"),
    )
    await measure(
        "logIn (argon2id verify)",
        lambda: post(
            'mutation { logIn(input: {email: "bench@example.com", password: "%s"}) { token } }'
            % PASSWORD
        ),
        rounds=30,
    )


if __name__ == "__main__":
    asyncio.run(main())
