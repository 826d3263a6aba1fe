"""Dated shifts (créneaux) of missions: how they are said to people, in the association's time zone.

Shifts are stored in UTC (``bot.store.models.Shift``); everything a person reads is local time
(``TIMEZONE``), in French: "samedi 14 décembre, 9 h–12 h".
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bot.opening_hours import DAY_NAMES, say_time

MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def local(moment: datetime, zone: str) -> datetime:
    """``moment`` (UTC, naive from SQLite or aware) in the time zone ``zone``."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(ZoneInfo(zone))


def say_day(moment: datetime, zone: str) -> str:
    """The day in words: "samedi 14 décembre"."""
    when = local(moment, zone)
    day = "1er" if when.day == 1 else str(when.day)
    return f"{DAY_NAMES[when.weekday()]} {day} {MONTH_NAMES[when.month - 1]}"


def label(starts_at: datetime, ends_at: datetime, zone: str) -> str:
    """A shift in words: "samedi 14 décembre, 9 h–12 h" (local times, ``zone``)."""
    start, end = local(starts_at, zone), local(ends_at, zone)
    return f"{say_day(starts_at, zone)}, {say_time(start.time())}–{say_time(end.time())}"
