"""Messages for the chat bubble reach its socket whichever Rasa process holds it (issue 19).

A bubble's WebSocket is held by one Rasa process; behind a proxy, the message for it may be made
by another one: the console's invitation or a reminder goes through Rasa's API to any process,
and a visitor's two tabs may be connected to two processes. With ``REDIS_URL`` set, every frame a
process sends to a conversation is also published on one Redis channel, with the process's own
id; every process that holds bubble sockets listens to it and hands frames from the others to
its own sockets of that conversation. Without ``REDIS_URL`` (one process), nothing leaves it.

Redis pub/sub delivers to whoever listens at that moment and keeps nothing: a bubble closed
meanwhile finds the message in its history when it is opened again (the tracker store has it),
as with one process. When Redis cannot be reached, frames still reach the sockets of the process
that made them, the failure is logged once per outage, and listening starts again by itself
(every :data:`RETRY_SECONDS`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)

CHANNEL_NAME = "benevoles:bubble"
RETRY_SECONDS = 2.0

Deliver = Callable[[str, dict[str, Any]], Awaitable[int]]


class Relay:
    """Publishes this process's frames and hands the other processes' frames to local sockets."""

    def __init__(self, url: str, *, channel: str = CHANNEL_NAME) -> None:
        import redis.asyncio

        self.client = redis.asyncio.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
        self.channel = channel
        self.origin = secrets.token_hex(8)  # this process
        self._listening: asyncio.Task[None] | None = None
        self._failing = False
        self.ready = asyncio.Event()

    async def publish(self, conversation_id: str, frame: dict[str, Any]) -> None:
        """Offer a frame to the other processes; a Redis failure is logged, never raised."""
        message = json.dumps({"from": self.origin, "to": conversation_id, "frame": frame}, ensure_ascii=False)
        try:
            await self.client.publish(self.channel, message)
            self._recovered()
        except Exception as error:  # noqa: BLE001 - the local sockets got the frame; the others may not
            self._failed("publish", error)

    def listen(self, deliver: Deliver) -> None:
        """Start listening (once, in the running loop) and hand each frame from elsewhere to ``deliver``."""
        if self._listening is None or self._listening.done():
            self._listening = asyncio.get_running_loop().create_task(self._listen(deliver))

    async def _listen(self, deliver: Deliver) -> None:
        while True:
            try:
                async with self.client.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.ready.set()
                    self._recovered()
                    while True:
                        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        if message is not None:
                            await self._hand_over(message.get("data"), deliver)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - Redis gone: try again, local delivery goes on
                self.ready.clear()
                self._failed("listen", error)
                await asyncio.sleep(RETRY_SECONDS)

    async def _hand_over(self, data: object, deliver: Deliver) -> None:
        try:
            message = json.loads(data if isinstance(data, (str, bytes)) else "")
            if message.get("from") == self.origin:
                return
            conversation_id, frame = str(message["to"]), message["frame"]
            if not isinstance(frame, dict):
                return
        except (ValueError, KeyError, TypeError, AttributeError):
            logger.warning("a malformed message on the bubble relay was ignored")
            return
        await deliver(conversation_id, frame)

    def _failed(self, doing: str, error: Exception) -> None:
        if not self._failing:
            logger.warning(
                "bubble relay: Redis unreachable (%s, %s): messages reach only the bubbles held by this process",
                doing,
                type(error).__name__,
            )
        self._failing = True

    def _recovered(self) -> None:
        if self._failing:
            logger.info("bubble relay: Redis reachable again")
        self._failing = False

    async def close(self) -> None:
        """Stop listening."""
        if self._listening is not None:
            self._listening.cancel()
        await self.client.close()
