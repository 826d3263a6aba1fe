"""Every setting is documented in .env.example and read from the environment."""

from __future__ import annotations

import re

from bot.config import ROOT, Settings, documented_settings


def test_every_setting_is_documented_in_env_example() -> None:
    documented = set(re.findall(r"^#? ?([A-Z_]+)=", (ROOT / ".env.example").read_text(), flags=re.M))
    assert documented == set(documented_settings())


def test_settings_come_from_the_environment_with_types() -> None:
    settings = Settings.from_env({"MIN_AGE": "18", "DATABASE_URL": "sqlite:///x.db", "RASA_API_TOKEN": ""})
    assert (settings.min_age, settings.database_url, settings.rasa_api_token) == (18, "sqlite:///x.db", "")


def test_addresses_follow_their_ports_unless_set() -> None:
    moved = Settings.from_env({"ACTION_PORT": "5155", "WEB_PORT": "8100"})
    assert moved.action_endpoint == "http://127.0.0.1:5155/webhook"  # not 5055, where anyone could listen
    assert moved.public_url == "http://localhost:8100"
    explicit = Settings.from_env({"ACTION_PORT": "5155", "ACTION_ENDPOINT": "http://actions:9000/webhook"})
    assert explicit.action_endpoint == "http://actions:9000/webhook"
    assert Settings.from_env({}).action_endpoint == "http://127.0.0.1:5055/webhook"
