"""bot.rasa.channels.relay: frames for the chat bubble between Rasa processes, on the local Redis (issue 19)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import redis

from bot.rasa.channels.relay import Relay


def test_frames_reach_the_other_processes_not_back_to_their_own_and_nonsense_is_dropped(redis_server: str) -> None:
    channel = f"test:bubble:{uuid.uuid4().hex[:8]}"
    received: dict[str, list[tuple[str, dict[str, Any]]]] = {"a": [], "b": []}

    def collector(name: str) -> Any:
        async def deliver(conversation_id: str, frame: dict[str, Any]) -> int:
            received[name].append((conversation_id, frame))
            return 1

        return deliver

    async def run() -> None:
        a, b = Relay(redis_server, channel=channel), Relay(redis_server, channel=channel)
        a.listen(collector("a"))
        b.listen(collector("b"))
        await asyncio.wait_for(asyncio.gather(a.ready.wait(), b.ready.wait()), 5)
        await a.publish("web-1", {"type": "bot", "text": "Bonjour"})
        await redis.asyncio.Redis.from_url(redis_server).publish(channel, "pas du json")  # ignored
        await redis.asyncio.Redis.from_url(redis_server).publish(channel, '{"from": "x", "to": "web-2", "frame": 3}')
        await asyncio.sleep(0.3)
        await a.close()
        await b.close()

    asyncio.run(run())
    assert received == {"a": [], "b": [("web-1", {"type": "bot", "text": "Bonjour"})]}


def test_an_unreachable_redis_is_logged_once_and_never_raised(caplog: Any) -> None:
    async def run() -> None:
        relay = Relay("redis://127.0.0.1:1/0")
        await relay.publish("web-1", {"type": "bot", "text": "x"})
        await relay.publish("web-1", {"type": "bot", "text": "y"})
        await relay.close()

    asyncio.run(run())
    assert sum("Redis unreachable" in record.getMessage() for record in caplog.records) == 1
