"""Rasa's tracker store, seen from the application: erase or age out a person's conversation events.

Rasa's SQLTrackerStore keeps every event of every conversation in one ``events`` table
(id, sender_id, type_name, timestamp, intent_name, action_name, data as JSON text),
keyed by the channel's sender id only. :data:`events` is the application's one description of
that table, checked column by column against Rasa's (``tests/bot/rasa/test_tracker_store.py``):
this module erases and ages out events with it, the console reads them with it
(``bot/console/transcript.py``, ``bot/console/funnel.py``); the tracker store class itself,
``bot.rasa.tracker_store.PrivacyTrackerStore``, is Rasa's and uses Rasa's model.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, delete, func, inspect, select

from bot.store.session import get_engine

metadata = MetaData()

# Rasa's own table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent); Rasa creates it.
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def has_events_table(url: str) -> bool:
    """True once Rasa has created its ``events`` table at ``url`` (before the first message it has not)."""
    return inspect(get_engine(url)).has_table("events")


def delete_conversation(url: str, sender_id: str) -> int:
    """Delete every event of ``sender_id``'s conversation; returns how many were deleted."""
    if not has_events_table(url):
        return 0
    with get_engine(url).begin() as connection:
        return connection.execute(delete(events).where(events.c.sender_id == sender_id)).rowcount or 0


def count_events(url: str, sender_id: str) -> int:
    """How many events the tracker store holds for ``sender_id``."""
    if not has_events_table(url):
        return 0
    with get_engine(url).connect() as connection:
        return int(
            connection.execute(
                select(func.count()).select_from(events).where(events.c.sender_id == sender_id)
            ).scalar_one()
        )


def inactive_conversations(url: str, *, before: datetime) -> list[str]:
    """Sender ids whose latest event is older than ``before``."""
    if not has_events_table(url):
        return []
    latest = func.max(events.c.timestamp)
    with get_engine(url).connect() as connection:
        rows = connection.execute(
            select(events.c.sender_id).group_by(events.c.sender_id).having(latest < before.timestamp())
        )
        return sorted(row.sender_id for row in rows)
