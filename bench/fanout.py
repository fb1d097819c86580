"""Subscription fan-out: 1,000 open `messageReceived` subscriptions over graphql-transport-ws
on PostgreSQL + Redis; the time from a sendMessage request to the recipient's socket."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench import documents, servers
from bench.prepare import prepared

MESSAGES = 300
SENDERS = 1  # one sendMessage at a time: the latency of delivery, not of a queue


class Subscriber:
    def __init__(self, token: str) -> None:
        self.token = token
        self.received: asyncio.Queue[float] = asyncio.Queue()

    async def run(self, url: str, ready: asyncio.Event, opened: list[int]) -> None:
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            await socket.send(
                json.dumps(
                    {
                        "type": "connection_init",
                        "payload": {"authorization": f"Bearer {self.token}"},
                    }
                )
            )
            ack = json.loads(await socket.recv())
            assert ack["type"] == "connection_ack", ack
            await socket.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": documents.MESSAGE_RECEIVED},
                    }
                )
            )
            opened.append(1)
            if len(opened) >= len(opened_target):
                ready.set()
            async for raw in socket:
                message = json.loads(raw)
                if message.get("type") == "next":
                    self.received.put_nowait(time.perf_counter())
                elif message.get("type") == "ping":
                    await socket.send(json.dumps({"type": "pong"}))


opened_target: list[int] = []


async def _run(http_url: str, subscribers: list[tuple[str, str, str]]) -> dict[str, Any]:
    ws_url = http_url.replace("http://", "ws://")
    people = [Subscriber(token) for token, _, _ in subscribers]
    ready, opened = asyncio.Event(), []
    opened_target[:] = [0] * len(people)
    tasks = []
    for i in range(0, len(people), 50):  # open in batches, as clients would trickle in
        tasks += [asyncio.create_task(p.run(ws_url, ready, opened)) for p in people[i : i + 50]]
        await asyncio.sleep(0.05)
    await asyncio.wait_for(ready.wait(), 120)
    await asyncio.sleep(2)  # the last subscriptions start listening
    latencies: list[float] = []
    lost = 0
    gate = asyncio.Semaphore(SENDERS)
    async with httpx.AsyncClient(timeout=30) as http:

        async def send(i: int) -> None:
            nonlocal lost
            index = (i * 7) % len(people)
            _, client_id, provider_token = subscribers[index]
            async with gate:
                started = time.perf_counter()
                body = {
                    "query": documents.SEND_MESSAGE,
                    "variables": {"input": {"clientId": client_id, "body": "Bench ping."}},
                }
                response = await http.post(
                    http_url, json=body, headers={"Authorization": f"Bearer {provider_token}"}
                )
                assert not response.json()["data"]["sendMessage"]["errors"], response.text
                try:
                    arrived = await asyncio.wait_for(people[index].received.get(), 10)
                except TimeoutError:
                    lost += 1
                    return
                latencies.append((arrived - started) * 1000)

        await asyncio.gather(*(send(i) for i in range(MESSAGES)))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies.sort()
    return {
        "subscribers": len(people),
        "messages": MESSAGES,
        "senders_in_flight": SENDERS,
        "p50_ms": round(latencies[len(latencies) // 2], 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "lost": lost,
    }


def measure(database_url: str, redis_url: str, scratch: Path) -> dict[str, Any]:
    print("\n== fan-out: 1,000 subscribers on PostgreSQL + Redis", flush=True)
    fixture, _ = prepared(database_url, scratch)
    with servers.carepath(database_url, scratch, redis_url=redis_url) as url:
        result = asyncio.run(_run(url, fixture.subscribers))
    print(f"delivery p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, lost {result['lost']}")
    return result
