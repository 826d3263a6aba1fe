"""Asking to talk to someone: recorded, and told when the team answers."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.support import ActionHandoff
from bot.config import get_settings
from tests.actions.conftest import make_tracker


def test_the_handoff_action_adds_the_hours_when_closed(app_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENING_HOURS", "dim 0:00-0:01")  # practically never open
    get_settings.cache_clear()
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHandoff().run(dispatcher, make_tracker("je veux parler à quelqu'un", intent="human_handoff"), {}))
    assert dispatcher.messages[0]["response"] == "utter_handoff_without_contact"
    assert dispatcher.messages[1]["text"].startswith("L'équipe répond le dimanche de 0 h à 0 h 01")
