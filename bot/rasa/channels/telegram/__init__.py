"""Telegram: a Rasa input channel built on python-telegram-bot, webhook or long polling.

Usage (credentials.yml)::

    bot.rasa.channels.telegram.TelegramInput:
      token: ${TELEGRAM_TOKEN}
      webhook_secret: ${TELEGRAM_WEBHOOK_SECRET}
      api_url: ${TELEGRAM_API_URL}

Then ``bot telegram set-webhook https://example.org/webhooks/telegram/webhook`` (public
server) or ``bot telegram poll`` (no public address). See docs/telegram.md.

Modules: ``updates`` decides what an update means (pure), ``output`` sends to Telegram
(splitting, keyboards, rate limits), ``channel`` is the Rasa channel, ``manage`` holds the
webhook commands and the poller, ``texts`` reads data/association/telegram.yml.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TelegramInput", "TelegramOutput"]


def __getattr__(name: str) -> Any:
    # Imported on demand: the command line's webhook commands should not load Rasa.
    if name == "TelegramInput":
        from bot.rasa.channels.telegram.channel import TelegramInput

        return TelegramInput
    if name == "TelegramOutput":
        from bot.rasa.channels.telegram.output import TelegramOutput

        return TelegramOutput
    raise AttributeError(name)
