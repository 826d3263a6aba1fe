"""Real rasa-sdk trackers and dispatchers for the action tests, on a throw-away database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.config import ROOT, get_settings


@pytest.fixture()
def app_database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the process settings (which actions read) at a fresh database."""
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TRACKER_STORE_URL", sqlite_url)  # erasure also clears the tracker store: never var/'s
    get_settings.cache_clear()
    yield sqlite_url
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def make_tracker(
    text: str = "",
    *,
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    sender_id: str = "test-sender",
    active_loop: str | None = None,
) -> Tracker:
    """A tracker as the action server receives it, after one user message."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
    history = list(events or []) + [{"event": "user", "text": text, "parse_data": latest, "input_channel": "rest"}]
    return Tracker(
        sender_id=sender_id,
        slots=dict(slots or {}),
        latest_message=latest,
        events=history,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


@pytest.fixture()
def tracker() -> Callable[..., Tracker]:
    return make_tracker


@pytest.fixture()
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()
