"""Typed payload syntax: only the buttons the assistant offered may reach Rasa as an intent.

Rasa reads a message that starts with ``/`` as an intent with entities
(``/inform{"first_name": "…"}``) and skips understanding and validation. Buttons need that:
their payload is what the bubble and REST clients send back when a person clicks. A person
could type the same syntax, though, and set any slot to any value. So each channel passes a
person's text through :func:`vetted_text`: a payload goes through only when it is exactly one
the assistant offered in this conversation (a button of one of its messages); anything else
loses its leading slashes and is understood like any other message, or, shaped like an intent
(``/choose_shift{…}``, ``/show_my_data``), like a message the assistant did not understand.

Channels' own payloads (the bubble's opening ``/greet``, Telegram's commands and shared
locations) are made by the channel, not typed, and do not come through here. Telegram's
buttons do: the data behind a tapped button is whatever the client sends, so it is vetted
like typed text, with the channel's own help buttons allowed besides the assistant's.

Usage::

    text = await vetted_text(text, sender_id, agent.tracker_store)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable
from typing import Any

from rasa.shared.core.events import BotUttered

from bot.logs import pseudonym
from bot.rasa.channels import plain_text

logger = logging.getLogger(__name__)

PREFIX = "/"


def tracker_store_of(holder: Any) -> Any:
    """The tracker store of the agent a Sanic app's ``ctx`` (or any object with ``agent``) holds, if any."""
    return getattr(getattr(holder, "agent", None), "tracker_store", None)


def agent_ready(holder: Any) -> bool:
    """True when a Sanic app's ``ctx`` (or any object with ``agent``) holds an agent with a model to answer with."""
    agent = getattr(holder, "agent", None)
    return agent is not None and bool(agent.is_ready())


def looks_like_payload(text: str) -> bool:
    """True when Rasa would read ``text`` as an intent rather than understand it."""
    return text.strip().startswith(PREFIX)


def offered_payloads(events: Iterable[Any]) -> set[str]:
    """The payloads of every button the assistant showed in these tracker events."""
    offered: set[str] = set()
    for event in events:
        if not isinstance(event, BotUttered):
            continue
        for button in (event.data or {}).get("buttons") or []:
            if isinstance(button, dict) and isinstance(button.get("payload"), str):
                offered.add(button["payload"].strip())
    return offered


# An intent's name with entities ("/choose_shift{...}") or with an underscore ("/show_my_data"): a
# button's payload copied or forged, not words. Read as words it was a guess of the model's
# ('choose_shift{"shift_id": 3}' was heard as a cancellation at 0.87, others as "start again").
INTENT_SHAPED = re.compile(r"\w+\s*\{.*\}|[A-Za-z]\w*_\w*", re.DOTALL)


def as_text(text: str) -> str:
    """A typed payload as plain words: without its leading slashes, never empty.

    "/aide" is the word "aide"; a payload's syntax is "?", which the assistant answers as a message it
    did not understand, in a form too (it asks its question again)."""
    words = text.strip().lstrip(PREFIX).strip()
    return "?" if not words or INTENT_SHAPED.fullmatch(words) else words


async def vetted_text(text: str, sender_id: str, tracker_store: Any, channel_payloads: Collection[str] = ()) -> str:
    """``text`` as Rasa may receive it from a person of this conversation (see the module docstring):
    as :func:`bot.rasa.channels.plain_text`, and a payload only if the assistant offered it or it is one
    of the channel's own (``channel_payloads``: Telegram's help buttons)."""
    text = plain_text(text)
    if not looks_like_payload(text):
        return text
    payload = text.strip()
    if payload in channel_payloads:
        return payload
    if tracker_store is not None and await _offered(payload, sender_id, tracker_store):
        return payload
    logger.info("conversation %s typed a payload the assistant did not offer: read as words", pseudonym(sender_id))
    return as_text(text)


async def _offered(payload: str, sender_id: str, tracker_store: Any) -> bool:
    """Whether the assistant showed this payload in the conversation: in its current session first (what
    Rasa reads anyway), else in an earlier one. A button stays in the chat after its session ended
    (Telegram keeps it, the bubble's history shows it): the reminder of the evening before, the dates of
    Monday's list, tapped the next day, are the person's answer, not words to guess at."""
    readers = (tracker_store.retrieve, getattr(tracker_store, "retrieve_full_tracker", None))
    for read in readers:
        if read is None:
            continue
        try:
            tracker = await read(sender_id)
        except Exception:  # noqa: BLE001 - without the history the text is read as words, never trusted
            logger.warning("could not read conversation %s to check a payload", pseudonym(sender_id), exc_info=True)
            return False
        if tracker is not None and payload in offered_payloads(tracker.events):
            return True
    return False
