"""`carepath serve --workers N`: several processes only where they can share their state."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from carepath import cli
from carepath.settings import Settings
from tests.live import start_process


def _serve(monkeypatch: pytest.MonkeyPatch, *args: str, **env: str) -> int:
    for name in ("DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return cli.main(["serve", *args])


def test_more_than_one_worker_on_sqlite_is_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _serve(monkeypatch, "--workers", "2", DATABASE_URL="sqlite://var/x.db") == 2
    assert "needs PostgreSQL" in capsys.readouterr().err


def test_web_concurrency_asks_for_workers_like_the_flag(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _serve(monkeypatch, WEB_CONCURRENCY="3") == 2
    assert "--workers 3 needs PostgreSQL" in capsys.readouterr().err


def test_more_than_one_worker_without_redis_is_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgres://postgres@127.0.0.1:5432/test"
    assert _serve(monkeypatch, "--workers", "2", DATABASE_URL=url) == 2
    assert "needs REDIS_URL" in capsys.readouterr().err


async def test_two_workers_serve_on_postgresql_with_redis(settings: Settings) -> None:
    """The deployed command with WEB_CONCURRENCY=2 starts, and answers from both workers
    with the header deadline in place (its protocol must survive the trip to a worker)."""
    import os
    import signal

    redis_url = os.environ.get("REDIS_URL")
    if settings.is_sqlite or not redis_url:
        pytest.skip("needs DATABASE_URL on PostgreSQL and REDIS_URL")
    server = start_process(settings, redis_url, {"WEB_CONCURRENCY": "2"}, cli=True)
    try:
        async with httpx.AsyncClient(base_url=f"http://{server.address}") as http:
            for _ in range(8):  # new connections: the kernel spreads them over the workers
                response = await http.post(
                    "/graphql", json={"query": "{ __typename }"}, headers={"Connection": "close"}
                )
                assert response.json() == {"data": {"__typename": "Query"}}
        pid = server.process.pid
        workers = await asyncio.to_thread(Path(f"/proc/{pid}/task/{pid}/children").read_text)
        workers = workers.split()
        assert len(workers) >= 2, workers
    finally:
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=30)
