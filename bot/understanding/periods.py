"""The period of an attestation typed in words: "cette année", "l'an dernier", "2025", "depuis le début".

Usage::

    from bot.understanding.periods import read_period

    read_period("l'an dernier", today=date(2026, 12, 4))  # "last_year"

The periods are those of :data:`bot.reminders.PERIODS`: this calendar year, last calendar year, all the
hours. "Depuis janvier" or "depuis la rentrée" fall within this year; a year named by its number is this
year, last year, or (older) all the hours, which hold it; None when no period is named.
"""

from __future__ import annotations

import re
from datetime import date

from bot.understanding.text import fold

_ALL = re.compile(
    r"\b(?:tout(?:e|es|s)?|depuis (?:le debut|toujours|que je suis (?:la|inscrite?|benevole)|mon inscription)|"
    r"toutes? (?:mes|les) (?:heures|annees)|total|complete?|en tout)\b"
)
_LAST_YEAR = re.compile(r"\b(?:(?:l ?)?an(?:nee)? (?:derniere?|passee?|precedente?)|l annee d avant)\b")
_THIS_YEAR = re.compile(
    r"\b(?:(?:cette|cet) an(?:nee)?|l annee (?:en cours|actuelle)|(?:depuis|a partir de|en) (?:le )?"
    r"(?:janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre|"
    r"la rentree|le debut de l annee|le 1er janvier)|jusqu a (?:maintenant|aujourd hui))\b"
)
_YEAR = re.compile(r"\b(20\d\d)\b")


def read_period(text: str, *, today: date) -> str | None:
    """``this_year``, ``last_year`` or ``all`` for an attestation's period said in words; None if none is said."""
    words = fold(text).replace("'", " ").replace("’", " ").replace("-", " ")
    years = {int(y) for y in _YEAR.findall(words)}
    if years:
        if years == {today.year}:
            return "this_year"
        if years == {today.year - 1}:
            return "last_year"
        return "all" if all(y <= today.year for y in years) else None
    if _LAST_YEAR.search(words):
        return "last_year"
    if _ALL.search(words):
        return "all"
    if _THIS_YEAR.search(words):
        return "this_year"
    return None
