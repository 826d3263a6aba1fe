"""Availability a volunteer takes back: "je ne suis plus disponible le samedi".

Usage::

    from bot.understanding.withdrawal import withdrawn_availability

    withdrawn_availability("je ne suis plus disponible le samedi matin")
    # [TimeSlot("saturday", "morning")]

Only a message that says "no longer / not available" *and* names days or periods counts;
one that also gives the replacement ("pas le lundi mais le mardi") is a correction that
replaces, not a withdrawal, and returns nothing.
"""

from __future__ import annotations

import re

from bot.profile import TimeSlot
from bot.understanding.availability import parse_availability
from bot.understanding.text import fold

_NO_LONGER = re.compile(
    r"\b(?:(?:ne|n)\W*(?:suis|serai|serais|sera|peux|pourrai|pourrais)\s+plus|"
    r"(?:plus|pas|jamais)\s+(?:du\s+tout\s+)?(?:dispo|dispos|disponible|disponibles|libre|libres))\b"
)
_REPLACEMENT = re.compile(r"\b(?:mais|plutot|par contre)\b")


def withdrawn_availability(text: str) -> list[TimeSlot]:
    """The half-days a message says the person is no longer free; empty when it says none."""
    folded = fold(text)
    match = _NO_LONGER.search(folded)
    if match is None or _REPLACEMENT.search(folded):
        return []
    return parse_availability(f"{folded[: match.start()]} dispo {folded[match.end() :]}")
