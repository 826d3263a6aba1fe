"""Tests of bot.understanding.age: stated ages, birth years and minors."""

from __future__ import annotations

from datetime import date

import pytest

from bot.understanding.age import find_age, says_minor

TODAY = date(2025, 6, 15)

STATED = [
    ("j'ai 17 ans", 17),
    ("J'ai 45 ans", 45),
    ("jai 16ans", 16),
    ("17 ans", 17),
    ("Julie, 25 ans, infirmière", 25),
    ("moi 19 ans", 19),
    ("âge : 52 ans", 52),
    ("âge: 52", 52),
    ("j'ai 70", 70),
    ("J'ai soixante-dix ans", 70),
    ("j'ai dix-sept ans", 17),
    ("j'ai quatre-vingt-deux ans et toute ma tête", 82),
    ("j'ai vingt et un ans", 21),
    ("né en 2008", 17),
    ("née en 1950", 75),
    ("Je suis née le 3 mars 1990", 35),
    ("né le 20/12/2007", 17),
    ("née le 01/01/2007", 18),
    ("je suis de 1985", 40),
    # not an age
    ("bénévole depuis 10 ans", None),
    ("j'ai travaillé 20 ans à l'hôpital", None),
    ("il y a 3 ans", None),
    ("mes enfants ont 5 et 8 ans", None),
    ("j'ai 2 enfants", None),
    ("j'ai 3 enfants de 5 à 8 ans", None),
    ("17", None),
    ("j'habite au 69100", None),
    ("06 12 34 56 78", None),
    ("je suis mineure", None),
    ("j'ai 300 ans", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), STATED)
def test_find_age(text: str, expected: int | None) -> None:
    assert find_age(text, today=TODAY) == expected


ANSWERS = [
    ("17", 17),
    ("17 !", 17),
    ("euh 45", 45),
    ("45 ans", 45),
    ("soixante-cinq", 65),
    ("j'ai 17 ans", 17),
    ("2008", 17),
    ("1956.", 69),
    ("69100", None),
    ("0", None),
    ("150", None),
    ("je préfère ne pas le dire", None),
]


@pytest.mark.parametrize(("text", "expected"), ANSWERS)
def test_find_age_when_asked(text: str, expected: int | None) -> None:
    assert find_age(text, expecting=True, today=TODAY) == expected


MINOR = [
    ("je suis mineure", True),
    ("je suis mineur", True),
    ("je ne suis pas encore majeur", True),
    ("j'ai moins de 18 ans", True),
    ("j'ai 16 ans", True),
    ("je suis au lycée", True),
    ("lycéenne en seconde", True),
    ("né en 2010", True),
    ("j'ai 18 ans", False),
    ("je suis majeure", False),
    ("j'ai 45 ans", False),
    ("Bonjour", False),
]


@pytest.mark.parametrize(("text", "expected"), MINOR)
def test_says_minor(text: str, expected: bool) -> None:
    assert says_minor(text, today=TODAY) == expected
