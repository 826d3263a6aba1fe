"""The Bot API, carefully: client construction, retries on rate limits, splitting long texts.

Usage::

    bot = make_bot(token, api_url)
    await call_api(lambda: bot.send_message(42, "Bonjour"), what="sendMessage", chat_id=42)
    split_text(long_reply)   # parts of at most 4,096 characters, cut at paragraph or word breaks

Every Bot API call goes through :func:`call_api`: a 429 answer (``RetryAfter``) is waited out
for as long as Telegram asks and the call is retried; a network failure is retried a few
times; a refusal (the person blocked the bot, a malformed request) is logged and dropped.
Log lines carry chat ids, never message text. This module does not import Rasa, so the
command line's webhook commands start quickly.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.config import Settings, derived_secret
from bot.logs import pseudonym

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_MESSAGE_LENGTH = 4096  # Telegram's limit, counted in UTF-16 code units
NETWORK_ATTEMPTS = 4
MAX_RATE_LIMIT_WAIT = 15 * 60.0  # seconds of 429 waits for one call before giving up


def make_bot(token: str, api_url: str) -> Bot:
    """A python-telegram-bot client; no network call happens here."""
    return Bot(
        token,
        base_url=api_url,
        request=HTTPXRequest(connection_pool_size=32, read_timeout=15, write_timeout=15, connect_timeout=10),
        get_updates_request=HTTPXRequest(connection_pool_size=2, read_timeout=15, connect_timeout=10),
    )


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram must send with each webhook call: the setting, or one derived from SECRET_KEY."""
    return settings.telegram_webhook_secret or derived_secret(settings, "telegram-webhook")


def bot_id(token: str) -> int:
    """The bot's numeric id: the part of the token before the colon (0 when absent)."""
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() else 0


def retry_seconds(error: RetryAfter) -> float:
    """How long Telegram asks to wait, in seconds (an int or a timedelta depending on PTB's settings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB warns that the int form is deprecated
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def call_api(operation: Callable[[], Awaitable[T]], *, what: str, chat_id: int | str | None = None) -> T | None:
    """Run one Bot API call, waiting out rate limits and retrying network failures; None if it failed."""
    waited = 0.0
    network_failures = 0
    while True:
        try:
            return await operation()
        except RetryAfter as error:
            delay = retry_seconds(error)
            if waited + delay > MAX_RATE_LIMIT_WAIT:
                logger.error("%s to chat %s dropped: rate limited for %.0f s already", what, pseudonym(chat_id), waited)
                return None
            logger.warning(
                "%s to chat %s: Telegram asks to wait %.0f s (429), waiting", what, pseudonym(chat_id), delay
            )
            waited += delay
            await asyncio.sleep(delay)
        except Forbidden:
            logger.info("%s to chat %s refused: the person blocked the bot or left", what, pseudonym(chat_id))
            return None
        except BadRequest as error:
            logger.error("%s to chat %s rejected by Telegram: %s", what, pseudonym(chat_id), error.message)
            return None
        except NetworkError as error:  # includes TimedOut
            network_failures += 1
            if network_failures >= NETWORK_ATTEMPTS:
                logger.error(
                    "%s to chat %s failed after %d attempts: %s", what, pseudonym(chat_id), network_failures, error
                )
                return None
            await asyncio.sleep(2 ** (network_failures - 1))
        except TelegramError as error:
            logger.error("%s to chat %s failed: %s", what, pseudonym(chat_id), type(error).__name__)
            return None


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Split a reply into messages Telegram accepts, at paragraph, line, sentence or word boundaries."""
    text = text.strip()
    parts = []
    while utf16_length(text) > limit:
        window = _fitting_prefix(text, limit)
        cut = _boundary(window)
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def _fitting_prefix(text: str, limit: int) -> str:
    end = min(len(text), limit)
    while utf16_length(text[:end]) > limit:
        end -= 1
    return text[:end]


def _boundary(window: str) -> int:
    """Where to cut a window: the last paragraph, line, sentence or word break past its middle."""
    for separator, earliest in (("\n\n", 2), ("\n", 2), (". ", 2), (" ", 4)):
        at = window.rfind(separator)
        if at >= len(window) // earliest:
            return at + len(separator)
    return len(window)  # one enormous word: cut it
