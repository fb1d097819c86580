"""Redis killed and started again while two processes carry messages: every answer is
true, every stored message is answered once, and subscribers are told to catch up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from carepath.models import Message
from carepath.schema.ids import pk_of, to_global_id
from carepath.settings import Settings
from tests.faults.services import RedisServer
from tests.faults.traffic import MessageStream, Sender, running, send_message
from tests.live import ServerProcess, start_process
from tests.messaging_steps import a_client, a_provider, care_between
from tests.support import Api

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

OUTAGE_SECONDS = 4.0
RECOVERY_BOUND_SECONDS = 15.0  # Redis back to messages crossing processes live again
ANSWER_BOUND_SECONDS = 5.0


@pytest.fixture
def two_processes(
    postgres: Settings, private_redis: RedisServer
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    processes = (
        start_process(postgres, private_redis.url),
        start_process(postgres, private_redis.url),
    )
    yield processes
    for process in processes:
        process.process.terminate()
        process.process.wait(10)


async def _opened_conversation(sender: Sender, address: str, n: int) -> str:
    answer = await send_message(address, sender.provider, sender.clients[n], n, "welcome")
    sender.answers.append(answer)
    assert answer.message_id is not None, answer
    message = await Message.get(id=pk_of(answer.message_id, "Message"))
    return to_global_id("Conversation", message.conversation_id)


async def _delivered_live(sender: Sender, address: str, n: int, stream: MessageStream) -> bool:
    """One more message, from the other process: whether it reaches the stream live."""
    answer = await send_message(address, sender.provider, sender.clients[n], n, "probe")
    sender.answers.append(answer)
    assert answer.message_id is not None, answer
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        if answer.message_id in stream.live:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_redis_killed_mid_traffic_loses_no_message_and_stores_none_twice(
    api: Api, two_processes: tuple[ServerProcess, ServerProcess], private_redis: RedisServer
) -> None:
    one, two = two_processes
    provider = await a_provider(api)
    clients = [await a_client(api, f"client{n}@example.com", f"Client {n}") for n in range(2)]
    for client in clients:
        await care_between(provider, client, cancelled=True)  # cancelled: no overlap
    sender = Sender([one.address, two.address], provider, clients)
    conversations = [await _opened_conversation(sender, one.address, n) for n in range(2)]
    # Each client listens on a different process; the provider writes through both.
    streams = [
        MessageStream(process.address, client, conversation)
        for process, client, conversation in zip((one, two), clients, conversations, strict=True)
    ]

    async with running(*streams):
        lanes = [asyncio.create_task(sender.run(lane, 2)) for lane in range(2)]
        await asyncio.sleep(1.5)
        private_redis.kill()
        await asyncio.sleep(OUTAGE_SECONDS)
        private_redis.start()
        await asyncio.sleep(2.0)
        sender.stop()
        await asyncio.gather(*lanes)
        # After recovery, messages cross processes live again, without restarting anything.
        deadline = time.monotonic() + RECOVERY_BOUND_SECONDS
        crossed = [False, False]
        while not all(crossed) and time.monotonic() < deadline:
            for n, other in enumerate((two, one)):
                if not crossed[n]:
                    crossed[n] = await _delivered_live(sender, other.address, n, streams[n])
        await asyncio.sleep(0.5)

    answers = sender.answers
    print(
        f"redis outage: {len(answers)} sendMessage, slowest {max(a.seconds for a in answers):.2f}s,"
        f" interruptions {[len(s.interruptions) for s in streams]},"
        f" live {[len(s.live) for s in streams]}, caught up {[len(s.caught_up) for s in streams]}"
    )
    assert len(answers) > 20, "too little traffic to mean anything"
    assert [a for a in answers if a.errors or a.message_id is None or a.status != 200] == []
    assert max(a.seconds for a in answers) < ANSWER_BOUND_SECONDS
    assert crossed == [True, True], "live delivery across processes did not come back"
    # Nothing stored that was not answered, nothing answered that was not stored, once.
    answered = [pk_of(a.message_id, "Message") for a in answers]
    stored = await Message.filter(
        conversation_id__in=[pk_of(c, "Conversation") for c in conversations]
    ).values_list("id", flat=True)
    assert sorted(answered) == sorted(stored)
    for n, stream in enumerate(streams):
        sent = {a.message_id for a in answers if a.recipient == n}
        assert stream.interruptions, "the subscriber was never told that events were missed"
        assert stream.unexpected == []
        assert stream.duplicates == []
        assert sent <= stream.seen, f"{len(sent - stream.seen)} message(s) never reached client {n}"
