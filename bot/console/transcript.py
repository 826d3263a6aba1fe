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

from sqlalchemy.exc import SQLAlchemyError

from bot.store import conversations
from bot.takeover import STAFF_METADATA

logger = logging.getLogger(__name__)
MAX_TURNS = 1000
NOT_KEPT = "[message non conservé : écrit avant le consentement]"


@dataclass(frozen=True)
class Turn:
    """One message of a conversation."""

    speaker: str  # "user" or "bot"
    text: str
    at: datetime
    buttons: tuple[str, ...] = field(default_factory=tuple)
    intent: str | None = None
    id: int = 0  # the event's id in the tracker store: the live view asks for what came after it
    staff: str | None = None  # the staff member who wrote a "bot" message in a takeover (bot.takeover)

    def as_json(self) -> dict[str, object]:
        """The turn as the console's live view reads it."""
        return {
            "id": self.id,
            "speaker": self.speaker,
            "staff": self.staff,
            "text": self.text,
            "at": self.at.isoformat(),
            "buttons": list(self.buttons),
        }


class TranscriptUnavailable(Exception):
    """The tracker store cannot be read."""


def read_transcript(tracker_store_url: str, sender_id: str, *, limit: int = MAX_TURNS, after: int = 0) -> list[Turn]:
    """The messages of one conversation (after event id ``after``), oldest first; empty when nothing was recorded."""
    try:
        rows = conversations.messages(tracker_store_url, sender_id, limit=limit, after=after)
    except SQLAlchemyError as error:
        logger.warning("tracker store unreadable: %s", type(error).__name__)
        raise TranscriptUnavailable() from error
    titles: dict[str, str] = {}  # payload -> title of the buttons shown so far
    return [turn for turn in (_turn(*row, titles=titles) for row in rows) if turn is not None]


def _turn(
    event_id: int,
    type_name: str,
    timestamp: float | None,
    intent: str | None,
    data: str | None,
    *,
    titles: dict[str, str],
) -> Turn | None:
    try:
        event = json.loads(data or "{}")
    except ValueError:
        return None
    at = datetime.fromtimestamp(timestamp or 0, tz=timezone.utc)
    message = event.get("text") or ""
    buttons: tuple[str, ...] = ()
    if type_name == "bot":
        raw = [b for b in (event.get("data") or {}).get("buttons") or [] if isinstance(b, dict)]
        buttons = tuple(str(b.get("title", "")) for b in raw)
        titles.update((str(b.get("payload", "")), str(b.get("title", ""))) for b in raw)
        if not message and not buttons:
            return None
        staff = (event.get("metadata") or {}).get(STAFF_METADATA)
        return Turn("bot", message, at, buttons, id=event_id, staff=staff if isinstance(staff, str) else None)
    if (event.get("metadata") or {}).get("is_external"):  # the assistant's own initiative (trigger_intent)
        return None
    if not message:  # written before consent: the tracker store kept no text (bot.rasa.tracker_store)
        message = NOT_KEPT
    if message.startswith("/"):  # a button press: show what the button said ("samedi 12 décembre…"), not its payload
        message = f"[bouton] {titles.get(message) or message.split('{', 1)[0].lstrip('/')}"
    return Turn("user", message, at, intent=intent, id=event_id)
