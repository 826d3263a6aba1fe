"""E-mail notifications to staff (filled in by the notifications work)."""

from __future__ import annotations

from bot.config import Settings


def send_pending(settings: Settings) -> None:
    """Send the e-mails waiting in the outbox."""


def daily_digest(settings: Settings) -> None:
    """Queue the daily digest of new leads, once a day."""
