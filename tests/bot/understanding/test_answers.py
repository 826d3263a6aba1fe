"""bot.understanding.answers: what an answer to the form's question means besides its facts."""

from __future__ import annotations

import pytest

from bot.understanding.answers import adds_to_before, has_no_preference, says_adult


@pytest.mark.parametrize(
    ("text", "adds"),
    [
        ("le jardinage aussi", True),
        ("et également la cuisine", True),
        ("en plus je bricole", True),
        ("l'accueil ainsi que la cuisine", True),
        ("le jardinage", False),
        ("plutôt le bricolage", False),
        ("aussitôt que possible", False),  # a word that begins like "aussi"
    ],
)
def test_adding_to_what_was_said_before(text: str, adds: bool) -> None:
    assert adds_to_before(text) is adds


@pytest.mark.parametrize(
    ("text", "none"),
    [
        ("peu importe", True),
        ("Rien de spécial.", True),
        ("aucune en particulier", True),
        ("tout me va !", True),
        ("pas de préférence", True),
        ("je ne sais pas", True),
        ("non", True),
        ("rien le lundi", False),  # the whole message must say it
        ("peu importe le jour mais le soir", False),
        ("non merci, plutôt l'environnement", False),
    ],
)
def test_no_preference_is_the_whole_answer(text: str, none: bool) -> None:
    assert has_no_preference(text) is none


@pytest.mark.parametrize(
    ("text", "adult"),
    [
        ("je suis majeur", True),
        ("Majeure", True),
        ("adulte", True),
        ("j'ai plus de 18 ans", True),
        ("j'ai 17 ans", False),
        ("bientôt majeur l'an prochain", False),  # not yet: the form asks the age again
        ("je ne suis pas encore majeure", False),
        ("je serai adulte en mars", False),
        ("pas de souci, je suis majeur", True),
    ],
)
def test_of_age_without_a_number(text: str, adult: bool) -> None:
    assert says_adult(text) is adult
