"""Telegram updates already received: each ``update_id`` is processed once, even after a restart.

Telegram redelivers an update until it gets a 2xx answer; recording the id in the application
database (not in memory) keeps a restart from replaying it. An update is recorded when it
arrives and marked handled once the assistant has answered it: the webhook answers Telegram
only then, so an update whose processing was cut short (the Rasa server killed in the middle
of the turn) is delivered again by Telegram and, found unfinished, processed again. Update ids
are per bot, so the key is (bot id, update id). Telegram keeps undelivered updates for 24
hours: rows older than :data:`KEEP` are pruned.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store import models

KEEP = timedelta(days=7)


class Seen(enum.Enum):
    """What the database knows of an update that arrives."""

    NEW = "new"  # first delivery: recorded now
    HANDLED = "handled"  # answered before: a redelivery, to ignore
    UNFINISHED = "unfinished"  # received before but never answered (the process stopped meanwhile)


def remember(session: Session, *, bot_id: int, update_id: int) -> Seen:
    """Record an update as received, and say whether it was received or handled before."""
    row = session.get(models.TelegramUpdate, (bot_id, update_id))
    if row is not None:
        return Seen.HANDLED if row.handled_at is not None else Seen.UNFINISHED
    try:
        with session.begin_nested():
            session.add(models.TelegramUpdate(bot_id=bot_id, update_id=update_id))
    except IntegrityError:  # the same update arrived twice at the same moment: the other one has it
        return Seen.HANDLED
    return Seen.NEW


def mark_handled(session: Session, *, bot_id: int, update_id: int) -> None:
    """The update was answered (or deliberately ignored): a redelivery of it is a duplicate."""
    session.execute(
        update(models.TelegramUpdate)
        .where(models.TelegramUpdate.bot_id == bot_id, models.TelegramUpdate.update_id == update_id)
        .values(handled_at=models.utcnow())
    )


def prune(session: Session, *, keep: timedelta = KEEP) -> int:
    """Forget updates older than ``keep``; returns how many were forgotten."""
    cutoff = models.utcnow() - keep
    return session.execute(delete(models.TelegramUpdate).where(models.TelegramUpdate.received_at < cutoff)).rowcount
