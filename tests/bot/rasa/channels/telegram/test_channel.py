"""The Telegram webhook without a Rasa server: what it answers before a model is loaded, and after a stop."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage

from bot.config import Settings
from bot.rasa.channels.telegram import TelegramInput
from bot.rasa.channels.telegram import channel as telegram_channel
from bot.rasa.channels.telegram.channel import SECRET_HEADER
from tests.bot.rasa.channels.telegram import telegram_json as tg
from tests.bot.rasa.channels.telegram.conftest import SECRET, TOKEN
from tests.bot.rasa.channels.telegram.standin import BotAPIStandIn


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
        answer = await channel.receive(webhook_call(update, agent), on_new_message)
        await asyncio.gather(*channel._tasks)
        return answer

    for no_model in (None, SimpleNamespace(is_ready=lambda: False, tracker_store=None)):
        answer = asyncio.run(deliver(no_model))
        assert (answer.status, json.loads(answer.body)) == (503, {"status": "loading"})
        assert answer.headers["Retry-After"] == "5"
    assert received == []

    # not recorded as received: once a model is loaded, Telegram's next delivery is processed, once
    loaded = SimpleNamespace(is_ready=lambda: True, tracker_store=None)
    assert json.loads(asyncio.run(deliver(loaded)).body) == {"status": "handled"}
    assert json.loads(asyncio.run(deliver(loaded)).body) == {"status": "duplicate"}
    assert received == ["bonjour"]


def test_an_update_cut_short_by_a_stop_is_processed_when_telegram_delivers_it_again(
    standin: BotAPIStandIn, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram hears back only once the turn is done; a process stopped before that leaves the update to redo."""
    settings = Settings(database_url=sqlite_url, telegram_api_url=standin.base_url)
    update = tg.text(7_100_002, "bonjour")
    loaded = SimpleNamespace(is_ready=lambda: True, tracker_store=None)
    monkeypatch.setattr(telegram_channel, "ANSWER_WITHIN", 0.5)
    received: list[str] = []

    async def never_answers(message: UserMessage) -> None:  # the Rasa server dies in the middle of the turn
        await asyncio.sleep(3600)

    async def answers(message: UserMessage) -> None:
        received.append(message.text or "")

    async def killed_in_the_middle() -> Any:
        channel = TelegramInput(token=TOKEN, secret=SECRET, api_url=standin.base_url, settings=settings)
        answer = await channel.receive(webhook_call(update, loaded), never_answers)
        for task in channel._tasks:  # the process is gone: nothing after this point runs
            task.cancel()
        return answer

    # the turn outlasts ANSWER_WITHIN here; in real life the process is killed before any answer
    assert json.loads(asyncio.run(killed_in_the_middle()).body) == {"status": "accepted"}

    async def after_the_restart() -> list[Any]:
        channel = TelegramInput(token=TOKEN, secret=SECRET, api_url=standin.base_url, settings=settings)
        again = [await channel.receive(webhook_call(update, loaded), answers) for _ in range(2)]
        await asyncio.gather(*channel._tasks)
        return again

    first, second = asyncio.run(after_the_restart())
    assert json.loads(first.body) == {"status": "handled"} and json.loads(second.body) == {"status": "duplicate"}
    assert received == ["bonjour"]
