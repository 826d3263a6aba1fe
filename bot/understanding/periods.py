"""The period of an attestation typed in words: any span of days a volunteer names, read against today.

Usage::

    from bot.understanding.periods import read_period

    read_period("l'an dernier", today=date(2026, 12, 4))        # "last_year"
    read_period("de mars à juin", today=date(2026, 12, 4))      # "2026-03-01/2026-06-30"

The three periods of the buttons (:data:`bot.reminders.PERIODS`: this calendar year to date, last
calendar year, all the hours) keep their names; any other span is ``"YYYY-MM-DD/YYYY-MM-DD"``
(:func:`span`), read back by :func:`bot.reminders.period_dates`. A grammar, not a list of sentences:

- a month or a span of months, with or without a year ("mars", "novembre 2025", "de janvier à
  juin", "entre septembre et décembre 2025"), days included ("du 1er mars au 30 juin");
- "depuis" / "à partir de" a month or a day, to today; "le mois dernier", "ce mois-ci", "les
  6 derniers mois";
- a half-year or a quarter ("le premier semestre", "le 3e trimestre 2025");
- a school year or season ("l'année scolaire 2025-2026", "cette saison", "depuis la rentrée"):
  September to August;
- years by number ("2023", "2024 et 2025"), this year, last year, all.

A month or a day named without a year is the latest one not in the future (in December, "mars" is
this March; in February, "novembre" is last November). The end is clipped to today; a span that
starts after today is no period (None), as is text that names none.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from bot.understanding.text import fold

THIS_YEAR, LAST_YEAR, ALL = "this_year", "last_year", "all"
MONTHS = {
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4, "mai": 5,
    "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9, "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}  # fmt: skip
NUMBERS = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "dernier": 1, "derniers": 1,
}  # fmt: skip
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?:(?:le )?(1er|[12]?\d|3[01]) )?"
_YEAR_AFTER = r"(?: (20\d\d))?"
# "du 1er mars au 30 juin 2026", "de janvier à juin", "entre septembre 2025 et mars"
_RANGE = re.compile(
    rf"\b(?:(?:du|de|entre|depuis) )?{_DAY}{_MONTH}{_YEAR_AFTER} (?:au|a|et|jusqu a|jusqu au|-) "
    rf"{_DAY}(?:fin )?{_MONTH}{_YEAR_AFTER}\b"
)
_SINCE = re.compile(rf"\b(?:depuis|a partir d|a compter d|des)(?:e|u)? {_DAY}{_MONTH}{_YEAR_AFTER}\b")
_SINCE_YEAR = re.compile(r"\b(?:depuis|a partir de|a compter de|des) (?:l annee |le debut )?(20\d\d)\b")
_ONE_MONTH = re.compile(rf"\b{_MONTH}{_YEAR_AFTER}\b")
_LAST_MONTHS = re.compile(r"\b(?:les |ces |sur les )?(\d{1,2}|" + "|".join(NUMBERS) + r") derniers? mois\b")
_LAST_MONTH = re.compile(r"\b(?:le mois (?:dernier|passe|precedent)|mois dernier)\b")
_THIS_MONTH = re.compile(r"\bce mois(?: ci)?\b")
_HALF = re.compile(
    r"\b(premier|1er|1e|1|deuxieme|second|2e|2eme|2nd|2) (semestre|trimestre)(?: (20\d\d))?\b"
    r"|\b(troisieme|3e|3eme|3|quatrieme|4e|4eme|4|dernier) (trimestre)(?: (20\d\d))?\b"
)
_SCHOOL = re.compile(
    r"\b(?:annee scolaire|saison|annee associative|rentree)(?: (20\d\d)(?: ?(?:-|/| a | ) ?(20\d\d))?)?\b"
)
_BEFORE = re.compile(r"\b(?:derniere|passee|precedente|d avant)\b")
_ALL = re.compile(
    r"\b(?:tout(?:e|es|s)?|depuis (?:le debut|toujours|que je suis (?:la|inscrite?|benevole)|mon inscription)|"
    r"toutes? (?:mes|les) (?:heures|annees)|total|complete?|en tout)\b"
)
_LAST_YEAR = re.compile(r"\b(?:(?:l ?)?an(?:nee)? (?:derniere?|passee?|precedente?)|l annee d avant)\b")
_THIS_YEAR = re.compile(
    r"\b(?:(?:cette|cet) an(?:nee)?|l annee (?:en cours|actuelle)|(?:depuis|a partir de|en) (?:le )?"
    r"(?:le debut de l annee|le 1er janvier)|jusqu a (?:maintenant|aujourd hui))\b"
)
_YEAR = re.compile(r"\b(20\d\d)\b")
_ORDINALS = {"premier": 1, "1er": 1, "1e": 1, "1": 1, "deuxieme": 2, "second": 2, "2e": 2, "2eme": 2, "2nd": 2, "2": 2}
_ORDINALS |= {"troisieme": 3, "3e": 3, "3eme": 3, "3": 3, "quatrieme": 4, "4e": 4, "4eme": 4, "4": 4}


def span(start: date, end: date) -> str:
    """A period that is not one of the buttons': its first and last days."""
    return f"{start.isoformat()}/{end.isoformat()}"


def span_dates(period: str) -> tuple[date, date] | None:
    """The days of a :func:`span` period; None for a named period or anything else."""
    try:
        first, last = period.split("/")
        return date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        return None


def read_period(text: str, *, today: date) -> str | None:
    """``this_year``, ``last_year``, ``all`` or a span for an attestation's period said in words; None if none."""
    words = fold(text).replace("'", " ").replace("’", " ").replace(",", " ")
    words = " ".join(re.sub(r"\s*[-–]\s*", " - ", words).split())  # "janvier-juin", "2025-2026"
    found = _read_span(words, today)
    if found is not None:
        return _named(*found, today=today)
    years = sorted({int(y) for y in _YEAR.findall(words)})
    if years:
        return _named(date(years[0], 1, 1), date(years[-1], 12, 31), today=today)
    if _LAST_YEAR.search(words):
        return LAST_YEAR
    if _ALL.search(words):
        return ALL
    if _THIS_YEAR.search(words):
        return THIS_YEAR
    return None


def _named(start: date, end: date, *, today: date) -> str | None:
    """The span clipped to today, by its button's name when it is one; None when it starts after today."""
    end = min(end, today)
    if start > end:
        return None
    if start == date(today.year, 1, 1) and end == today:
        return THIS_YEAR
    if (start, end) == (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)):
        return LAST_YEAR
    return span(start, end)


def _read_span(words: str, today: date) -> tuple[date, date] | None:
    """The first and last days of a span named in ``words`` (end not yet clipped), or None."""
    if found := _RANGE.search(words):
        day1, month1, year1, day2, month2, year2 = found.groups()
        m1, m2 = MONTHS[month1], MONTHS[month2]
        if year1 is None and year2 is not None:  # "de septembre à décembre 2025": the first month's year follows
            year1 = str(int(year2) - (1 if m1 > m2 else 0))
        start = _day(year1, m1, day1, today=today, first=True)
        y2 = int(year2) if year2 else start.year + (1 if m2 < m1 else 0)
        return start, _day(str(y2), m2, day2, today=today, first=False)
    if found := _SCHOOL.search(words):
        # "2025-2026" or "2025": the school year that starts in September 2025
        first_year = int(found.group(1)) if found.group(1) else today.year - (1 if today.month < 9 else 0)
        if not found.group(1) and _BEFORE.search(words):  # "l'année scolaire dernière", "la saison passée"
            first_year -= 1
        return date(first_year, 9, 1), date(first_year + 1, 8, 31)
    if found := _HALF.search(words):
        ordinal, unit, year = (
            (found.group(1), found.group(2), found.group(3)) if found.group(1) else found.group(4, 5, 6)
        )
        number = 4 if ordinal == "dernier" else _ORDINALS[ordinal]
        months = 6 if unit == "semestre" else 3
        if number * months > 12:
            return None
        first_month = (number - 1) * months + 1
        the_year = int(year) if year else today.year - (1 if date(today.year, first_month, 1) > today else 0)
        last_month = first_month + months - 1
        return date(the_year, first_month, 1), date(the_year, last_month, calendar.monthrange(the_year, last_month)[1])
    if found := _LAST_MONTHS.search(words):
        count = found.group(1)
        months = int(count) if count.isdigit() else NUMBERS[count]
        if not 1 <= months <= 120:
            return None
        return _months_before(today, months), today
    if _LAST_MONTH.search(words):
        return _months_before(today.replace(day=1), 1), today.replace(day=1) - timedelta(days=1)
    if _THIS_MONTH.search(words):
        return today.replace(day=1), today
    if found := _SINCE_YEAR.search(words):
        return date(int(found.group(1)), 1, 1), today
    if found := _SINCE.search(words):
        day, month, year = found.groups()
        return _day(year, MONTHS[month], day, today=today, first=True), today
    if found := _ONE_MONTH.search(words):
        month, year = found.groups()
        start = _day(year, MONTHS[month], None, today=today, first=True)
        return start, date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    return None


def _day(year: str | None, month: int, day: str | None, *, today: date, first: bool) -> date:
    """A day of ``month``: the given one, else the month's first (``first``) or last; its year given, else the latest
    year in which that month has begun by today."""
    the_year = int(year) if year else today.year - (1 if month > today.month else 0)
    last = calendar.monthrange(the_year, month)[1]
    if day is not None:
        return date(the_year, month, min(1 if day == "1er" else int(day) or 1, last))
    return date(the_year, month, 1 if first else last)


def _months_before(day: date, months: int) -> date:
    """The same day ``months`` months earlier (the month's last day when shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
