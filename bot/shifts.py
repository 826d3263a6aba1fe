"""Dated shifts (créneaux) of missions: how they are said to people, in the association's time zone.

Shifts are stored in UTC (``bot.store.models.Shift``); everything a person reads is local time
(``TIMEZONE``), in French: "samedi 14 décembre, 9 h–12 h".
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.opening_hours import DAY_NAMES, say_time

logger = logging.getLogger(__name__)

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


def tell_cancelled(settings: Settings, signup_ids: Sequence[int]) -> None:
    """Tell people their sign-ups were cancelled (``bot.signups.tell_cancelled``, once that part exists); never raises.

    Call it after the commit that cancelled them.
    """
    if not signup_ids:
        return
    tell = getattr(importlib.import_module("bot.signups"), "tell_cancelled", None) if _has_signups() else None
    if tell is None:
        logger.warning("%d sign-ups cancelled, nobody told: bot.signups.tell_cancelled is missing", len(signup_ids))
        return
    try:
        tell(settings, list(signup_ids))
    except Exception as error:  # noqa: BLE001 - the cancellation is done; telling is best effort
        logger.warning("telling %d cancelled sign-ups failed: %s", len(signup_ids), type(error).__name__)


def _has_signups() -> bool:
    return importlib.util.find_spec("bot.signups") is not None


def unfold_series(settings: Settings, *, now: datetime | None = None) -> int:
    """Scheduled job: unfold every recurring series into shifts up to SHIFT_HORIZON_WEEKS ahead (idempotent)."""
    from bot.store import shifts as shift_store
    from bot.store.session import session_scope

    with session_scope(settings.database_url) as session:
        return shift_store.unfold(
            session,
            now=now or datetime.now(timezone.utc),
            zone=settings.timezone,
            horizon_weeks=settings.shift_horizon_weeks,
        )


@dataclass(frozen=True)
class DateLine:
    """One of a mission's next shifts as people see it: "Plus d'infos" lists them, sign-up buttons offer them."""

    shift_id: int
    label: str
    places_left: int
    starts: datetime | None = None  # local time, to read a date answered in words against the offer

    @classmethod
    def of(cls, shift: Any, zone: str) -> DateLine:
        """The line of a stored shift (``bot.store.models.Shift``) in the time zone ``zone``."""
        from bot.store.shifts import places_left

        starts = local(shift.starts_at, zone)
        return cls(int(shift.id), label(shift.starts_at, shift.ends_at, zone), places_left(shift), starts)


@dataclass(frozen=True)
class MissionDetails:
    """What "Plus d'infos" says of an open mission: description, where, next dates and whom to ask."""

    id: str
    title: str
    description: str
    remote: bool
    place: str  # the town, "" when remote or unknown
    address: str
    contact: str
    dated: bool
    dates: tuple[DateLine, ...]

    @property
    def bookable(self) -> bool:
        """True when one of the next dates has a place left."""
        return any(line.places_left > 0 for line in self.dates)


MAX_DETAIL_DATES = 5


def mission_details(mission_id: str, *, now: datetime | None = None) -> MissionDetails | None:
    """The details of an open mission with its next dates (up to 5 in the horizon); None if unknown or closed."""

    from bot.config import get_settings
    from bot.store import missions as mission_store
    from bot.store import models
    from bot.store import shifts as shift_store
    from bot.store.session import session_scope

    settings = get_settings()
    now = now or datetime.now(timezone.utc)
    with session_scope() as session:
        row = session.get(models.Mission, mission_id)
        if row is None or row.status != "open":
            return None
        mission = mission_store.to_domain(row, now=now)  # with whether it is dated
        until = now + timedelta(weeks=settings.shift_horizon_weeks)
        shifts = shift_store.upcoming(session, mission_id=mission_id, now=now, until=until)[:MAX_DETAIL_DATES]
        return MissionDetails(
            id=mission.id,
            title=mission.title,
            description=mission.description,
            remote=mission.remote,
            place=mission.place.label if mission.place is not None and not mission.remote else "",
            address=mission.address,
            contact=mission.contact,
            dated=mission.dated,
            dates=tuple(DateLine.of(shift, settings.timezone) for shift in shifts),
        )
