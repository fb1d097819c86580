"""Live servers for WebSocket tests: uvicorn in this event loop, or in its own process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
import websockets
from starlette.applications import Starlette
from websockets.frames import Close

from carepath.notifications.mailsink import free_port
from carepath.settings import Settings

PROTOCOL = "graphql-transport-ws"


@asynccontextmanager
async def serving(config: uvicorn.Config, *, force_exit: bool = False) -> AsyncIterator[str]:
    """uvicorn with this configuration in this event loop, until the block ends;
    `force_exit` does not wait for open connections (a test's stuck clients)."""
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"{config.host}:{config.port}"
    finally:
        server.should_exit = True
        server.force_exit = force_exit
        await task


@asynccontextmanager
async def in_loop_server(app: Starlette) -> AsyncIterator[str]:
    """uvicorn serving the already started app (lifespan off) in this event loop."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=free_port(),
        lifespan="off",
        log_level="warning",
        ws="websockets-sansio",
    )
    async with serving(config) as address:
        yield address


@dataclass
class ServerProcess:
    address: str
    process: subprocess.Popen[bytes]


def start_process(
    settings: Settings,
    redis_url: str | None,
    extra_env: Mapping[str, str] | None = None,
    *,
    cli: bool = False,
) -> ServerProcess:
    """`carepath` in its own process, on the test database, mail server and secret;
    `extra_env` overrides the environment, `cli` runs `carepath serve` (as deployed)
    instead of uvicorn's command line."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SMTP_URL": settings.smtp_url or "",
        "SECRET_KEY": settings.secret_key,
        "PUBLIC_BASE_URL": settings.public_base_url,
        "LOG_LEVEL": "WARNING",
        "SESSION_RECHECK_SECONDS": "30",
        "ARGON2_TIME_COST": str(settings.argon2_time_cost),
        "ARGON2_MEMORY_KIB": str(settings.argon2_memory_kib),
        "ARGON2_PARALLELISM": str(settings.argon2_parallelism),
        "SIGN_UPS_PER_ADDRESS": str(settings.sign_ups_per_address),  # all from 127.0.0.1
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra_env or {})
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "carepath.app:from_environment",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    if cli:
        env.update({"HOST": "127.0.0.1", "PORT": str(port)})
        command = [sys.executable, "-m", "carepath.cli", "serve"]
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return ServerProcess(f"127.0.0.1:{port}", process)
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server process did not start")


class Subscriber:
    """A graphql-transport-ws client, as an app would open one."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self._ids = 0

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, address: str, token: str | None, origin: str | None = None
    ) -> AsyncIterator[Subscriber]:
        """`origin` as a browser page on that origin would send it; none: a native app."""
        async with websockets.connect(
            f"ws://{address}/graphql", subprotocols=[PROTOCOL], origin=origin
        ) as ws:
            payload = {"authorization": f"Bearer {token}"} if token else {}
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            yield cls(ws)

    async def acknowledged(self) -> bool:
        reply = json.loads(await asyncio.wait_for(self.socket.recv(), 5))
        return bool(reply["type"] == "connection_ack")

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._ids += 1
        operation_id = str(self._ids)
        payload: dict[str, Any] = {"query": query, "variables": variables or {}}
        await self.socket.send(
            json.dumps({"id": operation_id, "type": "subscribe", "payload": payload})
        )
        return operation_id

    async def next(self, timeout: float = 1.0) -> dict[str, Any]:
        """The next message from the server (raises TimeoutError if none comes in time)."""
        return dict(json.loads(await asyncio.wait_for(self.socket.recv(), timeout)))

    async def until_closed(self, timeout: float = 2.0) -> tuple[Close, list[dict[str, Any]]]:
        """Reads until the server closes the socket: its close frame, and what came before
        (raises TimeoutError if the socket is still open after `timeout` seconds)."""
        received: list[dict[str, Any]] = []
        frame: Close | None = None
        async with asyncio.timeout(timeout):
            try:
                while True:
                    received.append(json.loads(await self.socket.recv()))
            except websockets.ConnectionClosed as closed:
                frame = closed.rcvd
        assert frame is not None, "the server closed without a close frame"
        return frame, received


async def post(
    address: str, query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=f"http://{address}") as client:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result
