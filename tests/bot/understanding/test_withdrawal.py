"""Availability taken back: "je ne suis plus disponible le samedi" removes, never replaces."""

from __future__ import annotations

import pytest

from bot.profile import TimeSlot
from bot.understanding.withdrawal import withdrawn_availability

SATURDAY = [TimeSlot("saturday", period) for period in ("morning", "afternoon", "evening")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("je ne suis plus disponible le samedi", SATURDAY),
        ("Je ne suis plus dispo le samedi matin", [TimeSlot("saturday", "morning")]),
        ("je ne peux plus le samedi", SATURDAY),
        ("je ne serai plus disponible le mercredi après-midi", [TimeSlot("wednesday", "afternoon")]),
        ("je suis pas dispo le samedi", SATURDAY),
        ("plus libre le samedi", SATURDAY),
        # not a withdrawal: a plain fact, or a correction that gives the replacement
        ("le samedi matin", []),
        ("je suis disponible le samedi", []),
        ("je ne suis pas libre le lundi mais le mardi", []),
        ("pas le samedi, plutôt le dimanche", []),
        # a withdrawal that names no day or period removes nothing
        ("je ne suis plus disponible", []),
    ],
)
def test_withdrawn_availability(text: str, expected: list[TimeSlot]) -> None:
    assert withdrawn_availability(text) == expected
