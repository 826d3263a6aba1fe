"""Fixtures of the Telegram tests: the stand-in Bot API, and the real assistant wired to it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.config import Settings
from tests.bot.rasa.channels.telegram.standin import BotAPIStandIn
from tests.conftest import exported_volunteers, free_port

TOKEN = "123456:TEST-token_for-the-stand-in"
SECRET = "s3cret-for-the-tests_0123456789"


@pytest.fixture(scope="module")
def standin() -> Iterator[BotAPIStandIn]:
    """The local stand-in of the Bot API, one per test module."""
    server = BotAPIStandIn(TOKEN).start()
    yield server
    server.stop()


class TelegramAssistant:
    """The running Rasa and action servers, with Telegram pointed at the stand-in."""

    def __init__(self, settings: Settings, standin: BotAPIStandIn, logs: Path) -> None:
        self.settings = settings
        self.standin = standin
        self.logs = logs
        self.webhook = f"http://127.0.0.1:{settings.rasa_port}/webhooks/telegram/webhook"

    def post(self, update: Any, *, secret: str | None = SECRET, raw: bytes | None = None) -> requests.Response:
        """POST one update to the webhook, as Telegram does."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        body = raw if raw is not None else json.dumps(update).encode()
        return requests.post(self.webhook, data=body, headers=headers, timeout=30)

    def export(self) -> list[dict]:
        """`bot volunteers export --format json`, run as a user would, on this assistant's database."""
        return exported_volunteers(self.settings.database_url)

    def log_text(self) -> str:
        return (self.logs / "rasa.log").read_text(encoding="utf-8", errors="replace")


def telegram_settings(folder: Path, standin: BotAPIStandIn) -> Settings:
    """Settings of an assistant on free ports and its own databases, Telegram on the stand-in."""
    action_port = free_port()
    return Settings(
        database_url=f"sqlite:///{folder / 'bot.db'}",
        tracker_store_url=f"sqlite:///{folder / 'tracker.db'}",
        rasa_host="127.0.0.1",
        rasa_port=free_port(),
        action_port=action_port,
        action_endpoint=f"http://127.0.0.1:{action_port}/webhook",
        telegram_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_url=standin.base_url,
    )


@pytest.fixture(scope="module")
def telegram_assistant(
    trained_model: Path, standin: BotAPIStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TelegramAssistant]:
    """One running assistant for the whole test module (starting Rasa takes a while)."""
    from bot.serve import prepare_database, running_assistant

    folder = tmp_path_factory.mktemp("telegram")
    settings = telegram_settings(folder, standin)
    prepare_database(settings)
    with running_assistant(settings, trained_model, log_dir=folder / "logs"):
        yield TelegramAssistant(settings, standin, folder / "logs")
