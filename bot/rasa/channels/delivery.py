"""A turn's answers reach the person only once the turn is stored.

Rasa sends the assistant's messages to the output channel as the turn's actions run, and
stores the turn at its end. When that last step fails (the tracker store's database locked,
full or unreachable: ``bot.rasa.tracker_store``), the person would have seen answers that the
conversation does not hold, and their next message would be read where the conversation
really is: a question answered that was never asked. So the chat bubble and Telegram hold
the turn's messages in a :class:`HeldOutput` and deliver them once the turn has gone through;
when it failed, the channel sends its polite "problème technique, réessayez" instead, and
the person's retry starts from where the conversation is. (The REST channel collects a turn's
messages and answers at the end anyway.) A turn lasts well under a second, so nobody waits
for the messages in a way they would notice.

Usage::

    held = HeldOutput(TelegramOutput(bot, payloads))
    await on_new_message(UserMessage(text, held, sender_id, input_channel=...))
    await held.deliver()  # not reached when the turn failed: the messages are dropped
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import OutputChannel


class HeldOutput(OutputChannel):
    """Keeps what Rasa sends to ``output`` during a turn, for :meth:`deliver` after it."""

    def __init__(self, output: OutputChannel) -> None:
        self.output = output
        self.held: list[tuple[str, dict[str, Any]]] = []

    def name(self) -> str:  # Rasa's is a classmethod; the held channel's name
        """The held channel's name (responses can vary by channel)."""
        return self.output.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Keep one message of the turn."""
        self.held.append((recipient_id, message))

    async def deliver(self) -> None:
        """Send the turn's messages, in order, through the held channel."""
        held, self.held = self.held, []
        for recipient_id, message in held:
            await self.output.send_response(recipient_id, message)
