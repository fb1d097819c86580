"""Slow and idle clients against `carepath serve`'s uvicorn, over raw loopback sockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

import pytest
import websockets

from carepath.app import create_app
from carepath.cli import server_config
from carepath.notifications.mailsink import free_port
from carepath.settings import Settings
from tests.live import PROTOCOL, serving

DEADLINE = 1  # seconds, for headers and for bodies alike
BOUND = 4.0  # no test waits longer than this for the server to act


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[int]:
    """`carepath serve`'s uvicorn configuration with one-second deadlines, on loopback."""
    quick = settings.with_overrides(
        request_header_timeout_seconds=DEADLINE,
        request_body_timeout_seconds=DEADLINE,
        max_body_bytes=65536,
    )
    config = server_config(
        quick,
        create_app(quick, run_mail_worker=False),
        host="127.0.0.1",
        port=free_port(),
        lifespan="off",
        log_level="warning",
    )
    async with serving(config, force_exit=True) as address:  # clients left stuck
        yield int(address.rsplit(":", 1)[1])


async def _trickle(writer: asyncio.StreamWriter, data: bytes, every: float) -> None:
    """One byte at a time, until the server hangs up."""
    with contextlib.suppress(ConnectionError):
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every)


async def _until_closed(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, trickle: bytes = b""
) -> tuple[bytes, float]:
    """Everything the server sends until it closes (while `trickle` goes out a byte every
    0.2 s), and how long that took; the client gives up after BOUND seconds."""
    started = time.monotonic()
    received = b""
    sender = asyncio.create_task(_trickle(writer, trickle, every=0.2))
    try:
        async with asyncio.timeout(BOUND):
            with contextlib.suppress(ConnectionError):
                while chunk := await reader.read(65536):
                    received += chunk
    finally:
        sender.cancel()
        writer.close()
    return received, time.monotonic() - started


async def test_headers_sent_a_byte_at_a_time_are_cut_off(server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    request = b"POST /graphql HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 500 + b"\r\n\r\n"
    received, elapsed = await _until_closed(reader, writer, trickle=request)
    assert received.startswith(b"HTTP/1.1 408 ")
    assert elapsed < DEADLINE + 1


async def test_an_idle_keep_alive_connection_is_closed(server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    received, elapsed = await _until_closed(reader, writer)
    assert received.startswith(b"HTTP/1.1 200 ")
    assert elapsed < DEADLINE + 1


async def test_a_kept_alive_connection_trickling_its_next_request_is_cut_off(
    server: int,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    await reader.readuntil(b'{"status":"ok"}')
    received, elapsed = await _until_closed(
        reader, writer, trickle=b"GET /healthz HTTP/1.1\r\n" * 50
    )
    assert received.startswith(b"HTTP/1.1 408 ")
    assert elapsed < DEADLINE + 1


async def test_a_body_that_trickles_in_is_cut_off_with_a_408(server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    body = b'{"query": "{ __typename }"}' + b" " * 200
    head = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body))
    received, elapsed = await _until_closed(reader, writer, trickle=body)
    assert received.startswith(b"HTTP/1.1 408 ")
    assert b'"code":"REQUEST_TIMEOUT"' in received
    assert elapsed < DEADLINE + 1


async def test_a_declared_oversized_body_is_refused_without_reading_it(server: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    head = b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    writer.write(head + b"Content-Length: 52428800\r\n\r\n")  # 50 MB announced, none sent
    await writer.drain()
    received, elapsed = await _until_closed(reader, writer)
    assert received.startswith(b"HTTP/1.1 413 ")
    assert b'"code":"PAYLOAD_TOO_LARGE"' in received
    assert elapsed < DEADLINE  # answered at once, not after waiting for the body


async def test_a_websocket_message_over_the_limit_closes_the_socket(server: int) -> None:
    async with websockets.connect(
        f"ws://127.0.0.1:{server}/graphql", subprotocols=[PROTOCOL], max_size=None
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"x": "a" * 70_000}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(BOUND):
                await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009  # message too big
