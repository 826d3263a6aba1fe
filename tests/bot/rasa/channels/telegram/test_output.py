"""Sending with the real python-telegram-bot client to the stand-in Bot API; the channel switched off."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.config import ROOT, Settings
from bot.rasa.channels.telegram.api import make_bot
from bot.rasa.channels.telegram.channel import TelegramInput
from bot.rasa.channels.telegram.output import TelegramOutput
from tests.bot.rasa.channels.telegram.conftest import TOKEN
from tests.bot.rasa.channels.telegram.standin import BotAPIStandIn

CHAT = 31337


def send(standin: BotAPIStandIn, text: str, buttons: list[dict] | None = None, recipient: str = str(CHAT)) -> None:
    output = TelegramOutput(make_bot(TOKEN, standin.base_url))
    if buttons:
        asyncio.run(output.send_text_with_buttons(recipient, text, buttons))
    else:
        asyncio.run(output.send_text_message(recipient, text))


def test_buttons_become_an_inline_keyboard_one_button_per_row(standin: BotAPIStandIn) -> None:
    buttons = [
        {"title": "18 ans ou plus", "payload": '/inform{"age_group": "adult"}'},
        {"title": "16 à 17 ans", "payload": '/inform{"age_group": "minor"}'},
    ]
    send(standin, "Quel âge avez-vous ?", buttons)
    [call] = standin.calls_of("sendMessage", CHAT)[-1:]
    assert call.params["text"] == "Quel âge avez-vous ?"
    assert call.params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "18 ans ou plus", "callback_data": '/inform{"age_group": "adult"}'}],
            [{"text": "16 à 17 ans", "callback_data": '/inform{"age_group": "minor"}'}],
        ]
    }


def test_a_reply_longer_than_telegram_allows_arrives_in_parts_with_the_buttons_last(standin: BotAPIStandIn) -> None:
    chat = CHAT + 1
    reply = "\n\n".join(
        f"Mission {n} : aide aux devoirs le mercredi après-midi, à Villeurbanne." * 12 for n in range(20)
    )
    send(standin, reply, [{"title": "Voir les missions", "payload": "/show_missions"}], recipient=str(chat))
    calls = standin.calls_of("sendMessage", chat)
    assert len(calls) >= 3
    assert all(len(c.params["text"]) <= 4096 for c in calls)
    assert [bool(c.params.get("reply_markup")) for c in calls] == [False] * (len(calls) - 1) + [True]
    assert " ".join(" ".join(c.params["text"] for c in calls).split()) == " ".join(reply.split())


def test_a_429_is_waited_out_and_the_message_sent_once(standin: BotAPIStandIn) -> None:
    chat = CHAT + 2
    standin.fail_next("sendMessage", retry_after=1)
    send(standin, "Bonjour !", recipient=str(chat))
    refused, delivered = standin.calls_of("sendMessage", chat)
    assert refused["refused"] and not delivered["refused"]
    assert delivered["at"] - refused["at"] >= 1.0
    assert standin.texts(chat) == ["Bonjour !"]


def test_a_conversation_of_another_channel_is_not_sent_to_telegram(standin: BotAPIStandIn) -> None:
    count = len(standin.calls)
    send(standin, "Bonjour !", recipient="rest-visitor-1")
    assert len(standin.calls) == count


class FakeRequest(SimpleNamespace):
    """What the channel reads from a Sanic request: headers and body."""


def test_with_an_empty_token_the_webhook_answers_404_and_nothing_is_sent(tmp_path: Path) -> None:
    channel = TelegramInput.from_credentials({"token": "", "webhook_secret": "", "api_url": ""})
    assert channel.bot is None and channel.get_output_channel() is None
    request = FakeRequest(headers={}, body=json.dumps({"update_id": 1}).encode())
    answer = asyncio.run(channel.receive(request, on_new_message=None))  # type: ignore[arg-type]
    assert answer.status == 404


def test_credentials_yml_loads_with_telegram_off_as_rasa_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """What `rasa run --credentials credentials.yml` does: ${VAR} substitution, then from_credentials."""
    from rasa.shared.utils.common import class_from_module_path
    from rasa.shared.utils.io import read_config_file

    for name, value in Settings().as_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TELEGRAM_TOKEN", "")
    credentials = read_config_file(str(ROOT / "credentials.yml"))
    assert set(credentials) == {
        "bot.rasa.channels.rest.CheckedRestInput", "bot.rasa.channels.telegram.TelegramInput",
        "bot.rasa.channels.chat_bubble.WebChatInput",
    }  # fmt: skip
    channel_class = class_from_module_path("bot.rasa.channels.telegram.TelegramInput")
    telegram = channel_class.from_credentials(credentials["bot.rasa.channels.telegram.TelegramInput"])
    assert isinstance(telegram, TelegramInput)
    assert telegram.bot is None  # off, and nothing contacted Telegram
