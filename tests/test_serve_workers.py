"""`carepath serve --workers N`: several processes only where they can share their state."""

from __future__ import annotations

import pytest

from carepath import cli


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
