"""Urgent missions below target call for volunteers by themselves (filled in by the urgent-call work)."""

from __future__ import annotations

from bot.config import Settings


def call_volunteers(settings: Settings) -> None:
    """Invite the best-matching consented volunteers to urgent missions below target."""
