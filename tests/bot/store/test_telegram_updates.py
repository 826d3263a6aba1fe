"""Telegram update ids already received, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.store import models, telegram_updates
from bot.store.session import session_scope
from bot.store.telegram_updates import Seen


def test_an_update_is_new_once_per_bot_and_a_duplicate_once_handled(database_url: str) -> None:
    with session_scope(database_url) as session:
        assert telegram_updates.remember(session, bot_id=1, update_id=10) is Seen.NEW
    with session_scope(database_url) as session:  # redelivered before it was answered: a stop cut it short
        assert telegram_updates.remember(session, bot_id=1, update_id=10) is Seen.UNFINISHED
        telegram_updates.mark_handled(session, bot_id=1, update_id=10)
    with session_scope(database_url) as session:  # a later request, or after a restart
        assert telegram_updates.remember(session, bot_id=1, update_id=10) is Seen.HANDLED
        assert telegram_updates.remember(session, bot_id=2, update_id=10) is Seen.NEW  # another bot's ids


def test_old_update_ids_are_pruned(database_url: str) -> None:
    with session_scope(database_url) as session:
        telegram_updates.remember(session, bot_id=1, update_id=1)
        telegram_updates.remember(session, bot_id=1, update_id=2)
    with session_scope(database_url) as session:
        session.execute(
            update(models.TelegramUpdate)
            .where(models.TelegramUpdate.update_id == 1)
            .values(received_at=models.utcnow() - timedelta(days=8))
        )
    with session_scope(database_url) as session:
        assert telegram_updates.prune(session) == 1
    with session_scope(database_url) as session:
        assert telegram_updates.remember(session, bot_id=1, update_id=2) is Seen.UNFINISHED
