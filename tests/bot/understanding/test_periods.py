"""An attestation's period typed in words, read against today (4 December 2026)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.understanding.periods import read_period

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("cette année", "this_year"),
        ("cette annee svp", "this_year"),
        ("pour l'année en cours", "this_year"),
        ("depuis janvier", "this_year"),
        ("à partir de septembre", "this_year"),
        ("depuis la rentrée", "this_year"),
        ("2026", "this_year"),
        ("l'an dernier", "last_year"),
        ("l’année dernière", "last_year"),
        ("l'an passé stp", "last_year"),
        ("année précédente", "last_year"),
        ("2025", "last_year"),
        ("pour 2025 svp", "last_year"),
        ("depuis le début", "all"),
        ("toutes mes heures", "all"),
        ("tout", "all"),
        ("2024 et 2025", "all"),
        ("2023", "all"),
        ("depuis que je suis bénévole", "all"),
        ("2031", None),
        ("Robert Dupont", None),
        ("je ne sais pas", None),
        ("", None),
    ],
)
def test_a_period_said_in_words(text: str, period: str | None) -> None:
    assert read_period(text, today=TODAY) == period
