"""Staff take a conversation over from the console (filled in by the takeover work)."""

from __future__ import annotations

from bot.config import Settings


def hand_back_silent(settings: Settings) -> None:
    """Hand back to the assistant the conversations silent for ``HANDBACK_MINUTES``."""
