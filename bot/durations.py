"""Durations written in French, as volunteers answer "combien d'heures ?": "2h30", "deux heures et demie".

Pure functions, no I/O. :func:`parse_minutes` reads what was written (possibly 0, negative or
more than a day: the caller says why that is refused); :func:`read_minutes` gives only an
acceptable answer (1 minute to 24 hours), the planned duration for "comme prévu", else None.
"""

from __future__ import annotations

import math
import re
import unicodedata

MAX_MINUTES = 24 * 60

UNITS = {
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14,
    "quinze": 15, "seize": 16, "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50,
    "soixante": 60,
}  # fmt: skip
# "as planned", "yes": the planned duration (when there is one).
AS_PLANNED = re.compile(
    r"^(?:oui|ouais|yes|ok|okay|d'accord|exact|exactement|c'est ca|correct|tout a fait|"
    r"comme prevu|(?:c'est )?bien ca|pareil|(?:la )?duree prevue)\b"
)
_SPACES = re.compile(r"\s+")
_NUMBER = r"\d+(?:[.,]\d+)?"
_HOURS_WORD = r"(?:h|hr|hrs|heures?)"
_MINUTES_WORD = r"(?:min|mins|minutes?|mn)"
# A clock time: "9h", "9 h 30", "11h30", "9:30".
_CLOCK = r"(\d{1,2})\s*(?:h|:)\s*(\d{2})?"
_RANGE = re.compile(rf"(?:de|entre)?\s*{_CLOCK}\s*(?:a|-|–|—|et|jusqu'a|au)\s*{_CLOCK}")
_HOURS = re.compile(
    rf"(-?\s*{_NUMBER})\s*{_HOURS_WORD}(?![a-z])\s*(?:et\s+)?(\d{{1,2}})?\s*(?:{_MINUTES_WORD}(?![a-z]))?"
)
_MINUTES = re.compile(rf"(-?\s*\d+)\s*{_MINUTES_WORD}(?![a-z])")
_BARE = re.compile(rf"^(?:environ |a peu pres |presque |pile )?(-?\s*{_NUMBER})$")


def _plain(text: str) -> str:
    """Lowercase, no accents, words separated by single spaces, digits for number words."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = re.sub(r"[!?;«»\"()]", " ", plain)
    plain = re.sub(r"(?<=\w)\.(?!\d)", " ", plain)  # a full stop, not a decimal point
    plain = _SPACES.sub(" ", plain).strip()
    return _number_words(plain)


def _number_words(text: str) -> str:
    """Number words as digits: "vingt-cinq" → "25", "quarante cinq" → "45", "une" → "1"."""
    words = re.split(r"(\s+|-|')", text)
    out: list[str] = []
    pending: int | None = None
    for word in words:
        value = UNITS.get(word)
        if value is not None:
            if pending is not None and pending >= 20 and pending % 10 == 0 and value < 10:
                pending += value  # "vingt-cinq", "quarante cinq"
            elif pending == 10 and 7 <= value <= 9:
                pending += value  # "dix-huit"
            else:
                if pending is not None:
                    out.append(str(pending))
                pending = value
            continue
        if pending is not None and word in ("-", " ", ""):
            continue  # separators inside a compound number
        if pending is not None:
            out.append(str(pending) + " ")
            pending = None
        out.append(word)
    if pending is not None:
        out.append(str(pending))
    return _SPACES.sub(" ", "".join(out)).strip()


def _number(text: str) -> float:
    return float(text.replace(" ", "").replace(",", "."))


def _fractions(text: str) -> tuple[str, int]:
    """Remove "et demie", "et quart", "moins le quart", "demi-heure", "trois quarts d'heure"; minutes they add."""
    extra = 0
    rules = (
        (r"\b3 quarts? d'heure\b", 45, "1"),
        (r"\b1 quart d'heure\b|\bquart d'heure\b", 15, "1"),
        (r"\b1 demi ?-? ?heure\b|\bdemi ?-? ?heure\b", 30, "1"),
        (r"\bet (?:1 )?demie?\b", 30, ""),
        (r"\bet (?:1 )?quart\b", 15, ""),
        (r"\bmoins (?:le |1 )?quart\b", -15, ""),
    )
    for pattern, minutes, marker in rules:
        found = re.search(pattern, text)
        if found:
            extra += minutes
            # A lone fraction ("une demi-heure") leaves no hours behind; mark it so it is not unreadable.
            text = text[: found.start()] + (" __fraction__ " if marker else " ") + text[found.end() :]
    return _SPACES.sub(" ", text).strip(), extra


def parse_minutes(text: str) -> int | None:
    """The duration written in ``text``, in minutes (may be <= 0 or > 24 h); None when none is readable."""
    plain = _plain(text)
    if not plain:
        return None
    found = _RANGE.search(plain)
    if found:
        start = int(found.group(1)) * 60 + int(found.group(2) or 0)
        end = int(found.group(3)) * 60 + int(found.group(4) or 0)
        if start >= 24 * 60 or end > 24 * 60:
            return None
        return end - start if end > start else end + 24 * 60 - start  # "de 22h à 1h": past midnight
    negative = bool(re.match(r"^(?:moins|-)\s*\d", plain)) and not re.match(r"^moins (?:de|d')", plain)
    plain, extra = _fractions(plain)
    total: float = 0
    read = False
    hours = _HOURS.search(plain)
    if hours:
        total += _number(hours.group(1)) * 60 + int(hours.group(2) or 0)
        plain = plain[: hours.start()] + " " + plain[hours.end() :]
        read = True
    for minutes in _MINUTES.finditer(plain):
        total += _number(minutes.group(1))
        read = True
    rest = plain.replace("__fraction__", "").strip()
    if not read:
        bare = _BARE.match(rest) if rest else None
        if bare and _number(bare.group(1)) <= 24:
            total += _number(bare.group(1)) * 60  # "3": hours, when it can be
            read = True
        elif "__fraction__" in plain:
            read = True  # "une demi-heure", "trois quarts d'heure"
    if not read or not math.isfinite(total):
        return None  # nothing, "et demie" alone, or hundreds of digits (a float's infinity has no minutes)
    minutes_total = round(total) + extra
    if negative and minutes_total > 0:
        minutes_total = -minutes_total
    return minutes_total


def read_minutes(text: str, *, planned: int | None = None) -> int | None:
    """An acceptable duration (1 min to 24 h) in ``text``, or ``planned`` for "oui" / "comme prévu"; else None."""
    minutes = parse_minutes(text)
    if minutes is None and planned is not None and AS_PLANNED.match(_plain(text)):
        return planned
    if minutes is None or not 0 < minutes <= MAX_MINUTES:
        return None
    return minutes


def say_minutes(minutes: int) -> str:
    """Minutes in short French: "3 h", "2 h 30", "45 min"."""
    whole, rest = divmod(minutes, 60)
    if not whole:
        return f"{rest} min"
    return f"{whole} h {rest:02d}" if rest else f"{whole} h"
