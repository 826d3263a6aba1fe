"""Rasa custom actions, by topic. Each is a thin adapter over plain functions in ``bot``."""

from bot.config import get_settings
from bot.logs import configure

# The action server is an entry point: configure logging here, once (no personal data in it).
configure(get_settings().log_level)

from actions import consent, declines, greeting, invitations, missions, privacy, profile, profile_form, support  # noqa: E402,F401
