"""`bot telegram ...` as the webmaster runs it, against the stand-in Bot API."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ROOT
from tests.bot.rasa.channels.telegram.conftest import SECRET, TOKEN
from tests.bot.rasa.channels.telegram.standin import BotAPIStandIn

BOT = str(Path(sys.executable).with_name("bot"))


def run(standin: BotAPIStandIn, *args: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TELEGRAM_TOKEN=token, TELEGRAM_WEBHOOK_SECRET=SECRET, TELEGRAM_API_URL=standin.base_url)
    return subprocess.run([BOT, "telegram", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def test_set_webhook_registers_the_url_with_its_secret_and_the_french_menu(standin: BotAPIStandIn) -> None:
    result = run(standin, "set-webhook", "https://benevoles.example.org")
    assert result.returncode == 0, result.stderr
    assert "https://benevoles.example.org/webhooks/telegram/webhook" in result.stdout
    assert standin.webhook["url"] == "https://benevoles.example.org/webhooks/telegram/webhook"
    assert standin.webhook["secret_token"] == SECRET
    assert set(standin.webhook["allowed_updates"]) == {"message", "edited_message", "callback_query"}
    [menu] = standin.calls_of("setMyCommands")[-1:]
    assert [c["command"] for c in menu.params["commands"]] == ["start", "aide", "stop", "mesdonnees", "supprimer"]

    status = run(standin, "status")
    assert status.returncode == 0, status.stderr
    assert "@entraide_test_bot" in status.stdout and "benevoles.example.org" in status.stdout

    deleted = run(standin, "delete-webhook")
    assert deleted.returncode == 0 and standin.webhook == {}


def test_setup_errors_are_clean_french_messages(standin: BotAPIStandIn) -> None:
    plain_http = run(standin, "set-webhook", "http://benevoles.example.org")
    assert plain_http.returncode == 2 and "https://" in plain_http.stderr and "Traceback" not in plain_http.stderr
    no_token = run(standin, "status", token="")
    assert no_token.returncode == 2 and "TELEGRAM_TOKEN" in no_token.stderr
    refused = run(standin, "status", token="999:wrong")
    assert refused.returncode == 2 and "refuse ce jeton" in refused.stderr and "Traceback" not in refused.stderr


def test_polling_refuses_to_start_while_a_webhook_is_registered(standin: BotAPIStandIn) -> None:
    import asyncio

    from bot.config import Settings
    from bot.rasa.channels.telegram.manage import TelegramSetupError, forward_updates

    standin.webhook = {"url": "https://benevoles.example.org/webhooks/telegram/webhook"}
    settings = Settings(telegram_token=TOKEN, telegram_webhook_secret=SECRET, telegram_api_url=standin.base_url)
    try:
        with pytest.raises(TelegramSetupError, match="delete-webhook"):
            asyncio.run(forward_updates(settings, "http://127.0.0.1:9/unused"))
    finally:
        standin.webhook = {}
