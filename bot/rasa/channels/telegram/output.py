"""Sending to Telegram: long replies split, buttons as inline keyboards, rate limits waited out.

Usage::

    output = TelegramOutput(make_bot(token, api_url))
    await output.send_text_with_buttons("42", "Quel âge avez-vous ?", [{"title": "18 ans ou plus",
        "payload": '/inform{"age_group": "adult"}'}])

Every call goes through :func:`bot.rasa.channels.telegram.api.call_api` (rate limits waited out).
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Sequence
from functools import partial
from typing import Any

from rasa.core.channels.channel import OutputChannel
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from bot.logs import pseudonym
from bot.rasa.channels.telegram.api import call_api, split_text

logger = logging.getLogger(__name__)

MAX_CALLBACK_DATA = 64  # bytes
REMEMBERED_PAYLOADS = 10_000


class ButtonPayloads:
    """Telegram carries at most 64 bytes behind a button; longer Rasa payloads are kept here."""

    PREFIX = "#"

    def __init__(self, size: int = REMEMBERED_PAYLOADS) -> None:
        self._size = size
        self._payloads: OrderedDict[str, str] = OrderedDict()

    def data_for(self, payload: str) -> str:
        """The callback data to put behind a button."""
        if len(payload.encode()) <= MAX_CALLBACK_DATA and not payload.startswith(self.PREFIX):
            return payload
        token = self.PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:32]
        self._payloads[token] = payload
        self._payloads.move_to_end(token)
        while len(self._payloads) > self._size:
            self._payloads.popitem(last=False)
        return token

    def payload_for(self, data: str) -> str | None:
        """The payload behind a tapped button; None when it was forgotten (a restart)."""
        if not data.startswith(self.PREFIX):
            return data
        return self._payloads.get(data)


class TelegramOutput(OutputChannel):
    """Rasa's replies, sent to a Telegram chat."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(self, bot: Bot, payloads: ButtonPayloads | None = None) -> None:
        self.bot = bot
        self.payloads = payloads or ButtonPayloads()

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send a text, split when it is longer than Telegram allows."""
        await self.send(recipient_id, text)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Send a text with its buttons as an inline keyboard, one button per row."""
        await self.send(recipient_id, text, buttons)

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Quick replies look like buttons on Telegram."""
        await self.send(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Send an image by URL."""
        chat_id = _chat_id(recipient_id)
        if chat_id is not None:
            await call_api(lambda: self.bot.send_photo(chat_id, image), what="sendPhoto", chat_id=chat_id)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """Custom payloads carry no Telegram meaning here; a text inside one is sent."""
        if isinstance(json_message.get("text"), str):
            await self.send(recipient_id, json_message["text"], json_message.get("buttons") or ())
        else:
            logger.info("custom payload not sent to chat %s: nothing Telegram can show", pseudonym(recipient_id))

    async def send(self, recipient_id: str | int, text: str, buttons: Sequence[dict[str, Any]] = ()) -> None:
        """Send ``text`` (split if needed), the buttons under its last part."""
        chat_id = _chat_id(recipient_id)
        if chat_id is None:
            return
        parts = split_text(text)
        if not parts:
            logger.warning("empty reply to chat %s not sent", pseudonym(chat_id))
            return
        keyboard = self.keyboard(buttons)
        for number, part in enumerate(parts, start=1):
            markup = keyboard if number == len(parts) else None
            await call_api(
                partial(self.bot.send_message, chat_id, part, reply_markup=markup),
                what="sendMessage",
                chat_id=chat_id,
            )

    async def typing(self, chat_id: int) -> None:
        """Show "typing…" while the assistant thinks (best effort, never retried)."""
        try:
            await self.bot.send_chat_action(chat_id, "typing")
        except TelegramError as error:
            logger.debug("typing indicator for chat %s failed: %s", chat_id, type(error).__name__)

    async def answer_button(self, callback_query_id: str) -> None:
        """Tell Telegram a button tap was received (stops the spinner on the button)."""
        await call_api(lambda: self.bot.answer_callback_query(callback_query_id), what="answerCallbackQuery")

    def keyboard(self, buttons: Sequence[dict[str, Any]]) -> InlineKeyboardMarkup | None:
        """Rasa buttons as an inline keyboard (a button with a URL opens it)."""
        rows = []
        for button in buttons:
            title = str(button.get("title") or button.get("payload") or "")
            if not title:
                continue
            if button.get("url"):
                rows.append([InlineKeyboardButton(title, url=str(button["url"]))])
            else:
                payload = str(button.get("payload") or title)
                rows.append([InlineKeyboardButton(title, callback_data=self.payloads.data_for(payload))])
        return InlineKeyboardMarkup(rows) if rows else None


def _chat_id(recipient_id: str | int) -> int | None:
    try:
        return int(recipient_id)
    except (TypeError, ValueError):
        logger.warning("not a Telegram chat id: a conversation of another channel, nothing sent")
        return None
