"""Tests of bot.understanding.names: first names, explicit or as a bare answer."""

from __future__ import annotations

import pytest

from bot.understanding.names import find_first_name

EXPLICIT = [
    ("je m'appelle Julie", "Julie"),
    ("Bonjour, je m'appelle julie", "Julie"),
    ("Je m’appelle Léa", "Léa"),
    ("jm'appelle kevin", "Kevin"),
    ("je m apelle sofiane", "Sofiane"),
    ("moi c'est Karim", "Karim"),
    ("moi c lea", "Lea"),
    ("Moi, c'est Paul !", "Paul"),
    ("moi cest ines", "Ines"),
    ("mon prénom est Anne-Sophie", "Anne-Sophie"),
    ("mon prénom c'est jean-pierre", "Jean-Pierre"),
    ("Prénom : Bérénice", "Bérénice"),
    ("Je me nomme Marcel Dupuis, retraité.", "Marcel"),
    ("on m'appelle Juju", "Juju"),
    ("vous pouvez m'appeler Mimi", "Mimi"),
    ("Je m'appelle Jean Dupont", "Jean"),
    ("JE M'APPELLE JULIE", "Julie"),
    ("je m'appelle o'neil", "O'Neil"),
    ("c'est Léa", "Léa"),
    ("Bonjour c'est Marc de Villeurbanne", "Marc"),
    ("je suis Marc", "Marc"),
    ("Bonjour, je suis Fatima et je voudrais aider", "Fatima"),
    ("Je m'appelle Julie, infirmière à Villeurbanne, dispo le samedi matin", "Julie"),
    # not names
    ("je suis infirmière", None),
    ("je suis Infirmière", None),
    ("je suis à Lyon", None),
    ("je suis dispo le samedi", None),
    ("je suis retraitée", None),
    ("je suis bricoleur", None),
    ("je suis motivée", None),
    ("c'est bon", None),
    ("moi c bon pour samedi", None),
    ("moi c pareil", None),
    ("c'est Lyon", None),
    ("c'est OK pour moi", None),
    ("c'est quoi une mission ?", None),
    ("je suis Lyonnaise", None),
    ("je m'appelle Madame Durand", None),
    ("vous pouvez m'appeler au 06 12 34 56 78", None),
    ("julie", None),  # a bare word only counts when the name was asked for
    ("Julie", None),
    ("julie.martin@gmail.com", None),
    ("Bonjour", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), EXPLICIT)
def test_find_first_name(text: str, expected: str | None) -> None:
    assert find_first_name(text) == expected


ANSWERS = [
    ("Julie", "Julie"),
    ("julie.", "Julie"),
    ("Julie !", "Julie"),
    ("  karim  ", "Karim"),
    ("Moi c'est Paul !", "Paul"),
    ("Jean Dupont", "Jean"),
    ("anne-sophie", "Anne-Sophie"),
    ("Oui, Karim", "Karim"),
    ("bonjour, Léa", "Léa"),
    ("JULIE", "Julie"),
    ("Julie, 25 ans", "Julie"),
    ("je suis marc", "Marc"),
    ("c'est léa", "Léa"),
    ("Nancy", "Nancy"),
    ("oui", None),
    ("non", None),
    ("bonjour", None),
    ("stop", None),
    ("je sais pas", None),
    ("pourquoi ?", None),
    ("c'est pour quoi faire ?", None),
    ("je préfère ne pas le dire", None),
    ("julie.martin@gmail.com", None),
    ("julie69", None),
    ("06 12 34 56 78", None),
    ("17", None),
    ("j'ai 17 ans", None),
    ("je suis motivée", None),
    ("cuisine", None),
    ("Madame Durand", None),
    ("a", None),
    ("Jean-Christophe-Marie-Emmanuel-Hippolyte", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), ANSWERS)
def test_find_first_name_when_asked(text: str, expected: str | None) -> None:
    assert find_first_name(text, expecting=True) == expected
