"""Services that a fault test controls: its own Redis, a TCP proxy in front of PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
from dataclasses import dataclass, field

import redis

from carepath.notifications.mailsink import free_port


@dataclass
class RedisServer:
    """A private redis-server on a fixed port: kill() is an outage, start() the recovery."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--loglevel", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                if client.ping():
                    client.close()
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        """SIGKILL: no goodbye to its clients, as when the machine or container dies."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


class PostgresProxy:
    """A TCP proxy between Carepath and PostgreSQL that can "restart" the database.

    `cut()` acts as PostgreSQL's fast shutdown does: it stops taking connections and
    commands, lets the replies already on their way arrive, then closes every connection.
    `resume()` accepts connections again, on the same port.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._pipes: set[_Pipe] = set()
        self._frozen = False

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        pipes = list(self._pipes)
        for pipe in pipes:
            pipe.hold_requests()
        await asyncio.sleep(0.2)  # replies in flight (a COMMIT's among them) arrive
        for pipe in pipes:
            pipe.close()

    async def resume(self) -> None:
        await self.start()

    def freeze(self) -> None:
        """The database stops answering, without closing anything (a hung server or a
        network that drops packets): every command waits for a reply that never comes."""
        self._frozen = True
        for pipe in self._pipes:
            pipe.hold_requests()

    async def stop(self) -> None:
        await self.cut()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        pipe = _Pipe(reader, writer, up_reader, up_writer)
        if self._frozen:
            pipe.hold_requests()
        self._pipes.add(pipe)
        try:
            await pipe.run()
        finally:
            self._pipes.discard(pipe)


class _Pipe:
    """One proxied connection: bytes both ways until either side closes."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        self.client = (reader, writer)
        self.server = (up_reader, up_writer)
        self._holding = False
        self._tasks: list[asyncio.Task[None]] = []

    async def run(self) -> None:
        self._tasks = [
            asyncio.create_task(self._copy(self.client[0], self.server[1], requests=True)),
            asyncio.create_task(self._copy(self.server[0], self.client[1], requests=False)),
        ]
        await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        self.close()

    def hold_requests(self) -> None:
        self._holding = True

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for writer in (self.client[1], self.server[1]):
            with contextlib.suppress(Exception):
                writer.transport.abort()

    async def _copy(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, requests: bool
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if requests and self._holding:
                    continue  # swallowed: the database never saw it, as after a shutdown
                writer.write(data)
                await writer.drain()
