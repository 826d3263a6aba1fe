"""The Telegram webhook without a Rasa server: what it answers before a model is loaded."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

from rasa.core.channels.channel import UserMessage

from bot.channels.telegram import TelegramInput
from bot.channels.telegram.channel import SECRET_HEADER
from bot.config import Settings
from tests.bot.channels.telegram import telegram_json as tg
from tests.bot.channels.telegram.conftest import SECRET, TOKEN
from tests.bot.channels.telegram.standin import BotAPIStandIn


def webhook_call(update: dict[str, Any], agent: object) -> SimpleNamespace:
    """What the channel reads from a Sanic request: headers, body, and the agent of the app."""
    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))
    return SimpleNamespace(headers={SECRET_HEADER: SECRET}, body=json.dumps(update).encode(), app=app)


def test_without_a_model_an_update_is_left_for_telegram_to_deliver_again(
    standin: BotAPIStandIn, sqlite_url: str
) -> None:
    settings = Settings(database_url=sqlite_url, telegram_api_url=standin.base_url)
    channel = TelegramInput(token=TOKEN, secret=SECRET, api_url=standin.base_url, settings=settings)
    update = tg.text(7_100_001, "bonjour")
    received: list[str] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message.text or "")

    async def deliver(agent: object) -> Any:
        answer = await channel.receive(webhook_call(update, agent), on_new_message)  # type: ignore[arg-type]
        await asyncio.gather(*channel._tasks)
        return answer

    for no_model in (None, SimpleNamespace(is_ready=lambda: False, tracker_store=None)):
        answer = asyncio.run(deliver(no_model))
        assert (answer.status, json.loads(answer.body)) == (503, {"status": "loading"})
        assert answer.headers["Retry-After"] == "5"
    assert received == []

    # not recorded as received: once a model is loaded, Telegram's next delivery is processed, once
    loaded = SimpleNamespace(is_ready=lambda: True, tracker_store=None)
    assert json.loads(asyncio.run(deliver(loaded)).body) == {"status": "accepted"}
    assert json.loads(asyncio.run(deliver(loaded)).body) == {"status": "duplicate"}
    assert received == ["bonjour"]
