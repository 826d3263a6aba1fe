"""Real-shaped Telegram updates (as the Bot API delivers them), for webhook posts and getUpdates."""

from __future__ import annotations

import itertools
from typing import Any

_ids = itertools.count(500_000)
DATE = 1_795_000_000


def next_update_id() -> int:
    """A fresh update id."""
    return next(_ids)


def person(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Julie", "language_code": "fr"}


def private_chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "first_name": "Julie", "type": "private"}


def message(chat_id: int, update_id: int | None = None, **content: Any) -> dict[str, Any]:
    """An update carrying a message in a private chat."""
    return {
        "update_id": update_id if update_id is not None else next_update_id(),
        "message": {
            "message_id": next(_ids),
            "from": person(chat_id),
            "chat": private_chat(chat_id),
            "date": DATE,
            **content,
        },
    }


def text(chat_id: int, words: str, update_id: int | None = None) -> dict[str, Any]:
    """A text message; a leading /command carries its bot_command entity, as Telegram sends it."""
    content: dict[str, Any] = {"text": words}
    if words.startswith("/"):
        content["entities"] = [{"offset": 0, "length": len(words.split()[0]), "type": "bot_command"}]
    return message(chat_id, update_id, **content)


def button(chat_id: int, data: str, update_id: int | None = None) -> dict[str, Any]:
    """A tap on an inline keyboard button under one of the bot's messages."""
    return {
        "update_id": update_id if update_id is not None else next_update_id(),
        "callback_query": {
            "id": str(next(_ids)),
            "from": person(chat_id),
            "message": {
                "message_id": next(_ids),
                "from": {"id": 123456, "is_bot": True, "first_name": "Entraide", "username": "entraide_test_bot"},
                "chat": private_chat(chat_id),
                "date": DATE,
                "text": "…",
            },
            "chat_instance": "-4242424242",
            "data": data,
        },
    }


def location(chat_id: int, latitude: float, longitude: float) -> dict[str, Any]:
    return message(chat_id, location={"latitude": latitude, "longitude": longitude})


def photo(chat_id: int) -> dict[str, Any]:
    sizes = [
        {"file_id": "AgACAgQAAxkBAAIBQ2", "file_unique_id": "AQADxr", "file_size": 1201, "width": 90, "height": 67},
        {"file_id": "AgACAgQAAxkBAAIBQ3", "file_unique_id": "AQADxs", "file_size": 9843, "width": 320, "height": 240},
    ]
    return message(chat_id, photo=sizes)


def sticker(chat_id: int) -> dict[str, Any]:
    return message(
        chat_id,
        sticker={
            "file_id": "CAACAgIAAxkBAAIBRG", "file_unique_id": "AgADjQ", "type": "regular", "width": 512,
            "height": 512, "is_animated": False, "is_video": False, "emoji": "👍",
        },
    )  # fmt: skip


def voice(chat_id: int) -> dict[str, Any]:
    return message(
        chat_id,
        voice={"file_id": "AwACAgQAAxkBAAIBRW", "file_unique_id": "AgADkg", "duration": 3, "mime_type": "audio/ogg"},
    )


def document(chat_id: int) -> dict[str, Any]:
    return message(
        chat_id,
        document={
            "file_name": "cv.pdf", "mime_type": "application/pdf", "file_id": "BQACAgQAAxkBAAIBRm",
            "file_unique_id": "AgADkw", "file_size": 48213,
        },
    )  # fmt: skip


def edited(chat_id: int, words: str) -> dict[str, Any]:
    update = text(chat_id, words)
    update["edited_message"] = update.pop("message")
    update["edited_message"]["edit_date"] = DATE + 30
    return update


def group_text(chat_id: int, words: str) -> dict[str, Any]:
    update = text(chat_id, words)
    update["message"]["chat"] = {"id": -100_200_300, "title": "Voisins solidaires", "type": "supergroup"}
    return update
