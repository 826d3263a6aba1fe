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

from datetime import datetime, timezone
from typing import Any

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


def last_message_at(url: str, sender_id: str) -> datetime | None:
    """When the person last wrote in the conversation (UTC); None if they never did."""
    if not has_events_table(url):
        return None
    with get_engine(url).connect() as connection:
        latest = connection.execute(
            select(func.max(events.c.timestamp)).where(events.c.sender_id == sender_id, events.c.type_name == "user")
        ).scalar_one()
    return None if latest is None else datetime.fromtimestamp(latest, tz=timezone.utc)


def intents_since(url: str, sender_id: str, *, since: datetime) -> list[str]:
    """The intents of the person's messages since ``since``, in order."""
    if not has_events_table(url):
        return []
    e = events.c
    with get_engine(url).connect() as connection:
        rows = connection.execute(
            select(e.intent_name)
            .where(e.sender_id == sender_id, e.type_name == "user", e.timestamp >= since.timestamp())
            .order_by(e.id)
        )
        return [row.intent_name for row in rows if row.intent_name]


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


def funnel_rows(url: str, *, since_ts: float) -> tuple[dict[str, float], list[Any], list[Any], list[Any]]:
    """What the dashboard's funnel reads of the conversations (empty before Rasa created its table).

    Each conversation's first event time; its first message's data (the channel); when consent was
    given; and the question asked and the profile status set since ``since_ts``, in order.
    """
    if not has_events_table(url):
        return {}, [], [], []
    e = events.c
    first_user_event = select(func.min(e.id)).where(e.type_name == "user").group_by(e.sender_id)
    with get_engine(url).connect() as connection:
        first_seen = dict(connection.execute(select(e.sender_id, func.min(e.timestamp)).group_by(e.sender_id)).all())
        channel_rows = connection.execute(select(e.sender_id, e.data).where(e.id.in_(first_user_event))).all()
        consent_rows = connection.execute(
            select(e.sender_id, func.min(e.timestamp))
            .where(e.type_name == "slot", e.action_name == "consent", e.data.like('%"given"%'))
            .group_by(e.sender_id)
        ).all()
        slot_rows = connection.execute(
            select(e.sender_id, e.action_name, e.data)
            .where(
                e.type_name == "slot",
                e.action_name.in_(("requested_slot", "profile_status")),
                e.timestamp >= since_ts,
            )
            .order_by(e.id)
        ).all()
    return first_seen, channel_rows, consent_rows, slot_rows


def messages(url: str, sender_id: str, *, limit: int, after: int = 0) -> list[Any]:
    """The first ``limit`` messages of a conversation after event id ``after``, both sides:
    (id, type_name, timestamp, intent_name, data)."""
    if not has_events_table(url):
        return []
    e = events.c
    with get_engine(url).connect() as connection:
        return list(
            connection.execute(
                select(e.id, e.type_name, e.timestamp, e.intent_name, e.data)
                .where(e.sender_id == sender_id, e.type_name.in_(("user", "bot")), e.id > after)
                .order_by(e.id)
                .limit(limit)
            ).all()
        )
