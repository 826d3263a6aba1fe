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
        ("à partir de septembre", "2026-09-01/2026-12-04"),
        ("depuis la rentrée", "2026-09-01/2026-12-04"),
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
        ("2024 et 2025", "2024-01-01/2025-12-31"),
        ("2023", "2023-01-01/2023-12-31"),
        ("depuis que je suis bénévole", "all"),
        ("2031", None),
        ("Robert Dupont", None),
        ("je ne sais pas", None),
        ("", None),
    ],
)
def test_a_period_said_in_words(text: str, period: str | None) -> None:
    assert read_period(text, today=TODAY) == period


@pytest.mark.parametrize(
    ("text", "period"),
    [
        # a month, a span of months, days: the latest ones not in the future, the end clipped to today
        ("de mars à juin", "2026-03-01/2026-06-30"),
        ("janvier-juin", "2026-01-01/2026-06-30"),
        ("du 1er mars au 30 juin 2026", "2026-03-01/2026-06-30"),
        ("entre septembre et decembre 2025", "2025-09-01/2025-12-31"),
        ("pour novembre 2025 svp", "2025-11-01/2025-11-30"),
        ("mars", "2026-03-01/2026-03-31"),
        ("décembre", "2026-12-01/2026-12-04"),
        ("depuis le 15 octobre", "2026-10-15/2026-12-04"),
        ("depuis 2025", "2025-01-01/2026-12-04"),
        # relative spans, halves and quarters, school years
        ("le mois dernier", "2026-11-01/2026-11-30"),
        ("ce mois-ci", "2026-12-01/2026-12-04"),
        ("les 6 derniers mois", "2026-06-04/2026-12-04"),
        ("sur les trois derniers mois", "2026-09-04/2026-12-04"),
        ("le premier semestre", "2026-01-01/2026-06-30"),
        ("le 3e trimestre 2025", "2025-07-01/2025-09-30"),
        ("l'année scolaire 2025-2026", "2025-09-01/2026-08-31"),
        ("la saison dernière", "2025-09-01/2026-08-31"),
        ("cette saison", "2026-09-01/2026-12-04"),
        # nothing in the past
        ("février 2027", None),
        ("le 4e trimestre 2027", None),
    ],
)
def test_any_span_a_volunteer_names(text: str, period: str | None) -> None:
    assert read_period(text, today=TODAY) == period


def test_a_month_without_a_year_is_the_last_one_begun() -> None:
    february = date(2026, 2, 10)
    assert read_period("novembre", today=february) == "2025-11-01/2025-11-30"
    assert read_period("de novembre à janvier", today=february) == "2025-11-01/2026-01-31"
