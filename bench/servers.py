"""The three servers side by side, each in its own process with one uvicorn worker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from carepath.notifications.mailsink import free_port

BENCH_SECRET = "bench-secret-key-with-at-least-32-characters"


def _wait(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port}")


@contextmanager
def process(command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    proc = subprocess.Popen(command, env={**os.environ, **(env or {})})
    try:
        _wait(port, proc)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def carepath_env(database_url: str, scratch: Path, redis_url: str | None = None) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": BENCH_SECRET,
        "MAIL_DIR": str(scratch / "mail"),
        "EMBEDDED_SMTP_PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
        "IDLE_TIMEOUT_MINUTES": "120",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@contextmanager
def carepath(
    database_url: str, scratch: Path, workers: int = 1, redis_url: str | None = None
) -> Iterator[str]:
    port = free_port()
    env = {**carepath_env(database_url, scratch, redis_url), "PORT": str(port)}
    if not redis_url:
        env["REDIS_URL"] = ""
    command = [sys.executable, "-m", "carepath.cli", "serve", "--workers", str(workers)]
    with process(command, port, env) as url:
        yield url


@contextmanager
def floor() -> Iterator[str]:
    port = free_port()
    with process([sys.executable, "-m", "bench.floor", str(port)], port) as url:
        yield url


@contextmanager
def limit(database_url: str) -> Iterator[str]:
    port = free_port()
    with process([sys.executable, "-m", "bench.limit", str(port), database_url], port) as url:
        yield url
