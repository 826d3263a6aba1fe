"""When the team answers in person (OPENING_HOURS), and how to say when it next will.

The setting reads like a notice on a door: ``"lun-ven 9:00-18:00; sam 10:00-12:00"``.
Each part is a day or a range of days (lun, mar, mer, jeu, ven, sam, dim) and one or more
time ranges separated by commas (``"lun-ven 9:00-12:00,14:00-18:00"``). Times are in
TIMEZONE. An empty setting means the team never promises a time (no hours are said).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config import Settings
from bot.errors import BotError

logger = logging.getLogger(__name__)
DAYS = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")
DAY_NAMES = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_PART = re.compile(r"^\s*(?P<days>[a-z]{3}(?:\s*-\s*[a-z]{3})?)\s+(?P<times>.+?)\s*$")
_RANGE = re.compile(r"^\s*(\d{1,2})(?:[:h](\d{2})?)?\s*-\s*(\d{1,2})(?:[:h](\d{2})?)?\s*$")


class OpeningHoursError(BotError):
    """The OPENING_HOURS setting cannot be read."""


@dataclass(frozen=True)
class Hours:
    """Per weekday (0 = Monday), the time ranges when the team answers."""

    ranges: tuple[tuple[tuple[time, time], ...], ...]
    zone: ZoneInfo

    def is_open(self, moment: datetime) -> bool:
        """True if ``moment`` falls in a range."""
        local = moment.astimezone(self.zone)
        return any(start <= local.time() < end for start, end in self.ranges[local.weekday()])

    def next_opening(self, moment: datetime) -> datetime | None:
        """When the team next answers after ``moment`` (``moment`` itself when open); None without hours."""
        local = moment.astimezone(self.zone)
        if self.is_open(local):
            return local
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            for start, _end in self.ranges[day.weekday()]:
                candidate = datetime.combine(day, start, tzinfo=self.zone)
                if candidate > local:
                    return candidate
        return None

    def describe(self) -> str:
        """The hours in a sentence: "du lundi au vendredi de 9 h à 18 h"."""
        groups: list[tuple[int, int, tuple[tuple[time, time], ...]]] = []
        for weekday, ranges in enumerate(self.ranges):
            if not ranges:
                continue
            if groups and groups[-1][1] == weekday - 1 and groups[-1][2] == ranges:
                groups[-1] = (groups[-1][0], weekday, ranges)
            else:
                groups.append((weekday, weekday, ranges))
        parts = []
        for first, last, ranges in groups:
            days = f"le {DAY_NAMES[first]}" if first == last else f"du {DAY_NAMES[first]} au {DAY_NAMES[last]}"
            times = " et ".join(f"de {say_time(start)} à {say_time(end)}" for start, end in ranges)
            parts.append(f"{days} {times}")
        return ", ".join(parts)


def say_time(moment: time) -> str:
    """9:00 → "9 h", 13:30 → "13 h 30"."""
    return f"{moment.hour} h" + (f" {moment.minute:02d}" if moment.minute else "")


def say_when(moment: datetime, now: datetime) -> str:
    """When, from ``now``: "aujourd'hui à 14 h", "demain à 9 h", "lundi à 9 h"."""
    local_now = now.astimezone(moment.tzinfo)
    days = (moment.date() - local_now.date()).days
    day = "aujourd'hui" if days == 0 else "demain" if days == 1 else DAY_NAMES[moment.weekday()]
    return f"{day} à {say_time(moment.time())}"


@cache
def parse(setting: str, zone: str = "Europe/Paris") -> Hours | None:
    """The hours the setting describes; None when it is empty."""
    if not setting.strip():
        return None
    try:
        timezone = ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError):
        message = f"TIMEZONE : « {zone} » n'est pas un fuseau horaire connu (exemple : Europe/Paris)"
        raise OpeningHoursError(message) from None
    ranges: list[list[tuple[time, time]]] = [[] for _ in DAYS]
    for part in setting.lower().split(";"):
        if not part.strip():
            continue
        found = _PART.match(part)
        if found is None:
            message = f"OPENING_HOURS : « {part.strip()} » n'est pas compris (exemple : lun-ven 9:00-18:00)"
            raise OpeningHoursError(message)
        for weekday in _days(found["days"]):
            ranges[weekday].extend(_times(found["times"]))
    return Hours(tuple(tuple(sorted(day)) for day in ranges), timezone)


def _days(text: str) -> list[int]:
    names = [name.strip() for name in text.split("-")]
    if any(name not in DAYS for name in names):
        raise OpeningHoursError(f"OPENING_HOURS : jour inconnu dans « {text} » (lun, mar, mer, jeu, ven, sam, dim)")
    first, last = DAYS.index(names[0]), DAYS.index(names[-1])
    return list(range(first, last + 1)) if first <= last else [*range(first, 7), *range(0, last + 1)]


def _times(text: str) -> list[tuple[time, time]]:
    result = []
    for piece in text.split(","):
        found = _RANGE.match(piece)
        if found is None:
            raise OpeningHoursError(f"OPENING_HOURS : horaire « {piece.strip()} » non compris (exemple : 9:00-18:00)")
        h1, m1, h2, m2 = (int(value or 0) for value in found.groups())
        if not (0 <= h1 <= 23 and 0 <= m1 <= 59 and 0 <= h2 <= 24 and 0 <= m2 <= 59):
            raise OpeningHoursError(f"OPENING_HOURS : heure impossible dans « {piece.strip()} »")
        start, end = time(h1, m1), time(23, 59, 59) if h2 == 24 else time(h2, m2)
        if end <= start:
            raise OpeningHoursError(f"OPENING_HOURS : « {piece.strip()} » finit avant de commencer")
        result.append((start, end))
    return result


def closed_notice(settings: Settings, now: datetime | None = None) -> str | None:
    """What to tell someone who asks for a person outside the opening hours; None when the team is there."""
    from bot.texts import labels

    try:
        hours = parse(settings.opening_hours, settings.timezone)
    except OpeningHoursError:
        logger.warning("OPENING_HOURS cannot be read: no hours said to the volunteer")
        return None
    now = now or datetime.now(hours.zone if hours else None)
    opening = hours.next_opening(now) if hours else None
    if hours is None or opening is None or hours.is_open(now):
        return None
    return str(labels()["handoff_closed"]).format(hours=hours.describe(), when=say_when(opening, now))
