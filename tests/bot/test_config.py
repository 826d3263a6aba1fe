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
