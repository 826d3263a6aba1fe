"""What to do with one Telegram update: pure decisions, no network, no database.

Usage::

    step = interpret(Update.de_json(data, bot), load_texts())
    # ToAssistant(chat_id=42, text="bonjour")              -> a message for Rasa
    # ToAssistant(chat_id=42, text="/stop")                -> a command mapped to an intent
    # Reply(chat_id=42, text="Je ne peux pas écouter...")  -> answered by the channel itself
    # SharedLocation(chat_id=42, latitude=.., longitude=..) -> resolved to a commune, then Rasa
    # Ignore(reason="group chat")                           -> logged, answered 200

Volunteers' text never reaches Rasa as an intent: a message that starts with "/" is a
command we know, or it is answered with the help. Only button payloads (callback data,
which our own keyboards carry) and our own commands inject intents.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from telegram import Message, Update

from bot.rasa.channels import plain_text
from bot.rasa.channels.telegram.texts import TelegramTexts

# Commands → what the assistant receives. "aide" / "help" are answered by the channel.
COMMAND_INTENTS = {
    "start": "/greet",
    "stop": "/stop",
    "mesdonnees": "/show_my_data",
    "supprimer": "/delete_my_data",
}
HELP_COMMANDS = frozenset({"aide", "help"})
MAX_TEXT_CHARS = 2000  # what the assistant reads of one message, as the chat bubble and REST
COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
# What Telegram allows after ?start= in a deep link: it is recorded as the lead's source.
DEEP_LINK_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Contents a person sends that are not text (service messages such as pins are not answered).
NOT_TEXT_KINDS = (
    "voice", "audio", "photo", "video", "video_note", "sticker", "document", "animation", "contact",
    "poll", "dice", "game", "story", "paid_media",
)  # fmt: skip
ALIASES = {"video_note": "video", "animation": "video"}


@dataclass(frozen=True)
class ToAssistant:
    """Send ``text`` to the assistant in the conversation of ``chat_id``."""

    chat_id: int
    text: str
    callback_query_id: str | None = None


@dataclass(frozen=True)
class Reply:
    """Answer directly, without the assistant (help, a photo, an edited message...)."""

    chat_id: int
    text: str
    buttons: tuple[dict[str, str], ...] = ()
    callback_query_id: str | None = None


@dataclass(frozen=True)
class SharedLocation:
    """A location shared from a phone: the nearest commune becomes the volunteer's place."""

    chat_id: int
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Ignore:
    """Nothing to do (logged with the update id and this reason)."""

    reason: str
    callback_query_id: str | None = field(default=None)


Step = ToAssistant | Reply | SharedLocation | Ignore


def interpret(update: Update, texts: TelegramTexts) -> Step:
    """Decide what one update means for the conversation."""
    if update.callback_query is not None:
        return _button(update, texts)
    if update.message is not None:
        return _message(update.message, texts)
    if update.edited_message is not None:
        message = update.edited_message
        if message.chat.type != "private":
            return Ignore("edited message in a group")
        if message.location is not None:  # a live location moving: not a new answer
            return Ignore("live location update")
        return Reply(message.chat.id, texts.edited)
    if update.channel_post is not None or update.edited_channel_post is not None:
        return Ignore("channel post")
    if update.my_chat_member is not None:
        return Ignore(f"membership changed to {update.my_chat_member.new_chat_member.status}")
    return Ignore("update type not used")


def source_payload(parameter: str | None) -> str:
    """``/start`` as the greet intent, with a valid deep-link parameter as the lead's source."""
    if parameter and DEEP_LINK_RE.fullmatch(parameter.strip()):
        return "/greet" + json.dumps({"source": parameter.strip()})
    return "/greet"


def _button(update: Update, texts: TelegramTexts) -> Step:
    query = update.callback_query
    assert query is not None
    message = query.message
    if message is None or message.chat.type != "private":
        return Ignore("button outside a private chat", callback_query_id=query.id)
    if not query.data:
        return Ignore("button without data", callback_query_id=query.id)
    if not isinstance(query.data, str):  # Telegram's callback data is a string: anything else is forged
        return Ignore("button whose data is not text", callback_query_id=query.id)
    return ToAssistant(message.chat.id, query.data, callback_query_id=query.id)


def _message(message: Message, texts: TelegramTexts) -> Step:
    chat = message.chat
    if chat.type != "private":
        if message.text and message.text.startswith("/"):
            return Reply(chat.id, texts.private_only)
        return Ignore(f"{chat.type} chat")
    if message.text:
        return _text(chat.id, message.text, texts)
    location = message.location or (message.venue.location if message.venue else None)
    if location is not None:
        return SharedLocation(chat.id, location.latitude, location.longitude)
    kind = next((kind for kind in NOT_TEXT_KINDS if getattr(message, kind, None)), None)
    if kind is not None:
        return Reply(chat.id, texts.for_kind(ALIASES.get(kind, kind)))
    return Ignore("service message")


def _text(chat_id: int, text: str, texts: TelegramTexts) -> Step:
    if len(text) > MAX_TEXT_CHARS:
        return Reply(chat_id, texts.too_long.format(limit=MAX_TEXT_CHARS))
    if not text.strip().startswith("/"):  # Rasa strips the text before it looks for "/"
        return ToAssistant(chat_id, plain_text(text))
    match = COMMAND_RE.match(text.strip())
    command = match.group(1).lower() if match else ""
    if command == "start":
        return ToAssistant(chat_id, source_payload(match.group(2) if match else None))
    if command in COMMAND_INTENTS:
        return ToAssistant(chat_id, COMMAND_INTENTS[command])
    if command in HELP_COMMANDS:
        return Reply(chat_id, texts.help, texts.help_buttons)
    return Reply(chat_id, f"{texts.unknown_command}\n\n{texts.help}", texts.help_buttons)
