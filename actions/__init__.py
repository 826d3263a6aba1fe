"""Rasa custom actions, by topic. Each is a thin adapter over plain functions in ``bot``."""

import logging

from bot.config import get_settings

# The action server is an entry point: configure logging here, once.
logging.basicConfig(level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

from actions import consent, greeting, invitations, missions, privacy, profile, profile_form, support  # noqa: E402,F401
