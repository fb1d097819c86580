"""A headless Chromium started by a test and driven over the DevTools protocol, with the
network cut off from everything but the server under test."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import websockets

from carepath.notifications.mailsink import free_port

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = "apt-get install -y chromium (Debian's package) to run the browser tests"


def offline_flags(profile: Path, debugging_port: int) -> list[str]:
    """No DNS but for the loopback address, a proxy that does not exist for anything else,
    and none of Chromium's own background traffic."""
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--proxy-server=http://127.0.0.1:{free_port()}",  # nothing listens there
        "--proxy-bypass-list=127.0.0.1",
        f"--remote-debugging-port={debugging_port}",
        "about:blank",
    ]


class Page:
    """One tab over CDP: evaluate JavaScript, and what failed to load or threw."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self._ids = itertools.count(1)
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.failed_loads: list[str] = []
        self.exceptions: list[str] = []
        self.requested: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.socket:
                message = json.loads(raw)
                if "id" in message and message["id"] in self._replies:
                    self._replies.pop(message["id"]).set_result(message)
                else:
                    self._on_event(message.get("method"), message.get("params", {}))

    def _on_event(self, method: str | None, params: dict[str, Any]) -> None:
        if method == "Network.requestWillBeSent":
            self.requested.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            self.failed_loads.append(f"{params.get('errorText')} {params.get('blockedReason')}")
        elif method == "Runtime.exceptionThrown":
            self.exceptions.append(json.dumps(params["exceptionDetails"])[:500])

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        reply = asyncio.get_running_loop().create_future()
        self._replies[message_id] = reply
        await self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        result = await asyncio.wait_for(reply, 10)
        assert "error" not in result, result
        return dict(result.get("result", {}))

    async def evaluate(self, expression: str) -> Any:
        reply = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        assert "exceptionDetails" not in reply, reply["exceptionDetails"]
        return reply["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 20.0) -> Any:
        """The first truthy value of `expression`, polled (AssertionError after `timeout`)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(
            f"never true: {expression}\nfailed loads: {self.failed_loads}\n"
            f"exceptions: {self.exceptions}\nrequested: {self.requested}"
        )

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


async def _page_socket_url(port: int, timeout: float = 20.0) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient(trust_env=False) as client:
        while True:
            try:
                targets = (await client.get(f"http://127.0.0.1:{port}/json/list")).json()
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    return str(pages[0]["webSocketDebuggerUrl"])
            except httpx.HTTPError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("Chromium's DevTools endpoint never answered")
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def offline_chromium(profile: Path) -> AsyncIterator[Page]:
    """Chromium in its own process, reachable only to 127.0.0.1, with one blank tab."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        str(CHROMIUM), *offline_flags(profile, port),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = await _page_socket_url(port)
        async with websockets.connect(url, max_size=None) as socket:
            page = Page(socket)
            await page.send("Network.enable")
            await page.send("Runtime.enable")
            await page.send("Page.enable")
            try:
                yield page
            finally:
                await page.close()
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
