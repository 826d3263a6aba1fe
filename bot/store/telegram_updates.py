"""Telegram updates already received: each ``update_id`` is processed once, even after a restart.

Telegram redelivers an update when it did not get a quick 2xx answer; recording the id in
the application database (not in memory) keeps a restart from replaying it. Update ids are
per bot, so the key is (bot id, update id). Telegram keeps undelivered updates for 24 hours:
rows older than :data:`KEEP` are pruned.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store import models

KEEP = timedelta(days=7)


def remember(session: Session, *, bot_id: int, update_id: int) -> bool:
    """Record an update as received; False when it was received before (a redelivery)."""
    if session.get(models.TelegramUpdate, (bot_id, update_id)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(models.TelegramUpdate(bot_id=bot_id, update_id=update_id))
    except IntegrityError:  # the same update arrived twice at the same moment: the other one won
        return False
    return True


def prune(session: Session, *, keep: timedelta = KEEP) -> int:
    """Forget updates older than ``keep``; returns how many were forgotten."""
    cutoff = models.utcnow() - keep
    return session.execute(delete(models.TelegramUpdate).where(models.TelegramUpdate.received_at < cutoff)).rowcount
