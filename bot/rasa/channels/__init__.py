"""The ways volunteers reach the assistant, and which conversations belong to which.

A conversation belongs to the channel that started it: the chat bubble's ids start with
``web-`` (random, signed), Telegram's are the private chat's number, and the REST channel
owns every other id. No channel may read, change or erase another's conversations, so
each checks :func:`owner_of` before it passes a message on.

Whatever a person types reaches Rasa through :func:`plain_text` first: a lone UTF-16
surrogate (valid in JSON, ``"\\udfff"``) cannot be encoded, so spaCy failed on it, and
PostgreSQL refuses a NUL in a text column.
"""

from __future__ import annotations

import re

WEB_PREFIX = "web-"
TELEGRAM_ID_RE = re.compile(r"-?\d{1,20}")
SURROGATE_RE = re.compile("[\ud800-\udfff]")
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab and line breaks


def owner_of(conversation_id: str) -> str:
    """The channel that owns a conversation id: "web", "telegram" or "rest"."""
    if conversation_id.startswith(WEB_PREFIX):
        return "web"
    if TELEGRAM_ID_RE.fullmatch(conversation_id):
        return "telegram"
    return "rest"


def plain_text(text: str) -> str:
    """A person's message as every part can store and read it: lone surrogates become U+FFFD,
    control characters other than tabs and line breaks become spaces."""
    return CONTROL_RE.sub(" ", SURROGATE_RE.sub("\ufffd", text))
