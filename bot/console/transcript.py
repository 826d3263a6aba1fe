"""Read conversations from Rasa's tracker store (the SQL table ``events`` at TRACKER_STORE_URL).

Rasa's SQLTrackerStore writes one row per event: ``sender_id``, ``type_name`` (user, bot,
slot, action...), ``timestamp`` (Unix seconds), ``intent_name``, ``action_name`` (for slot
events: the slot's name) and ``data`` (the event as JSON). The console only reads it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from bot.store.conversations import events, has_events_table
from bot.store.session import get_engine

logger = logging.getLogger(__name__)
MAX_TURNS = 1000


@dataclass(frozen=True)
class Turn:
    """One message of a conversation."""

    speaker: str  # "user" or "bot"
    text: str
    at: datetime
    buttons: tuple[str, ...] = field(default_factory=tuple)
    intent: str | None = None


class TranscriptUnavailable(Exception):
    """The tracker store cannot be read."""


def read_transcript(tracker_store_url: str, sender_id: str, *, limit: int = MAX_TURNS) -> list[Turn]:
    """The messages of one conversation, oldest first; empty when nothing was recorded."""
    try:
        if not has_events_table(tracker_store_url):
            return []
        with get_engine(tracker_store_url).connect() as connection:
            e = events.c
            rows = connection.execute(
                select(e.type_name, e.timestamp, e.intent_name, e.data)
                .where(e.sender_id == sender_id, e.type_name.in_(("user", "bot")))
                .order_by(e.id)
                .limit(limit)
            ).all()
    except SQLAlchemyError as error:
        logger.warning("tracker store unreadable: %s", type(error).__name__)
        raise TranscriptUnavailable() from error
    return [turn for turn in (_turn(*row) for row in rows) if turn is not None]


def _turn(type_name: str, timestamp: float | None, intent: str | None, data: str | None) -> Turn | None:
    try:
        event = json.loads(data or "{}")
    except ValueError:
        return None
    at = datetime.fromtimestamp(timestamp or 0, tz=timezone.utc)
    message = event.get("text") or ""
    buttons: tuple[str, ...] = ()
    if type_name == "bot":
        raw = (event.get("data") or {}).get("buttons") or []
        buttons = tuple(str(b.get("title", "")) for b in raw if isinstance(b, dict))
        if not message and not buttons:
            return None
        return Turn("bot", message, at, buttons)
    if message.startswith("/"):  # a button press: show what the button said, not its payload
        message = f"[bouton] {message.split('{', 1)[0].lstrip('/')}"
    return Turn("user", message, at, intent=intent)
