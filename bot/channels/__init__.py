"""The ways volunteers reach the assistant, and which conversations belong to which.

A conversation belongs to the channel that started it: the chat bubble's ids start with
``web-`` (random, signed), Telegram's are the private chat's number, and the REST channel
owns every other id. No channel may read, change or erase another's conversations, so
each checks :func:`owner_of` before it passes a message on.
"""

from __future__ import annotations

import re

WEB_PREFIX = "web-"
TELEGRAM_ID_RE = re.compile(r"-?\d{1,20}")


def owner_of(conversation_id: str) -> str:
    """The channel that owns a conversation id: "web", "telegram" or "rest"."""
    if conversation_id.startswith(WEB_PREFIX):
        return "web"
    if TELEGRAM_ID_RE.fullmatch(conversation_id):
        return "telegram"
    return "rest"
