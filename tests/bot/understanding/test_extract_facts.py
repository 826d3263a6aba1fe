"""Tests of bot.understanding.extract_facts: one message, every field it offers."""

from __future__ import annotations

from datetime import date

import pytest

from bot.profile import Place, TimeSlot
from bot.understanding import Facts, extract_facts

TODAY = date(2025, 6, 15)
VILLEURBANNE = Place("Villeurbanne", 45.76601, 4.8795, "69100")
BRON = Place("Bron", 45.73865, 4.91303, "69500")


def test_the_design_example_fills_four_fields() -> None:
    actual = extract_facts("Je m'appelle Julie, infirmière à Villeurbanne, dispo le samedi matin")
    expected = Facts(
        first_name="Julie",
        place=VILLEURBANNE,
        skills=["healthcare"],
        availability=[TimeSlot("saturday", "morning")],
    )
    assert actual == expected


def summary(facts: Facts) -> dict[str, object]:
    """The facts that were found, with places as "Name|postcode" and slots as keys."""
    values: dict[str, object] = {
        "first_name": facts.first_name,
        "place": f"{facts.place.name}|{facts.place.postcode or ''}" if facts.place else None,
        "skills": facts.skills,
        "causes": facts.causes,
        "availability": [slot.key for slot in facts.availability],
        "email": facts.email,
        "phone": facts.phone,
        "age": facts.age,
    }
    return {key: value for key, value in values.items() if value not in (None, [])}


MESSAGES = [
    (
        "Bonjour je suis Marc, 45 ans, j'habite à Bron et je suis bricoleur",
        None,
        {"first_name": "Marc", "place": "Bron|69500", "skills": ["handiwork"], "age": 45},
    ),
    (
        "moi c'est Sam, dispo le mardi soir",
        None,
        {"first_name": "Sam", "availability": ["tuesday:evening"]},
    ),
    (
        "Mon mail : julie.69100@gmail.com et mon tel 06 12 34 56 78",
        None,
        {"email": "julie.69100@gmail.com", "phone": "+33612345678"},
    ),
    (
        "Bonjour, je m'appelle Nancy et j'habite à Vénissieux",
        None,
        {"first_name": "Nancy", "place": "Vénissieux|69200"},
    ),
    (
        "retraitée, ancienne prof de maths, j'aimerais aider les enfants le mercredi après-midi",
        None,
        {"skills": ["tutoring"], "causes": ["education"], "availability": ["wednesday:afternoon"]},
    ),
    (
        "je suis née en 2008 et j'adore les animaux",
        None,
        {"causes": ["animals"], "age": 17},
    ),
    (
        "J'ai le permis et une voiture, je peux faire des maraudes le soir en semaine",
        None,
        {
            "skills": ["driving"],
            "causes": ["solidarity"],
            "availability": [f"{day}:evening" for day in ("monday", "tuesday", "wednesday", "thursday", "friday")],
        },
    ),
    ("Julie", "first_name", {"first_name": "Julie"}),
    ("Bron", "first_name", {"first_name": "Bron"}),
    ("Sam", "first_name", {"first_name": "Sam"}),
    ("Bron", "place", {"place": "Bron|69500"}),
    ("villeurbane", "place", {"place": "Villeurbanne|69100"}),
    ("69003", "place", {"place": "Lyon|69003"}),
    ("Julie", "place", {}),
    ("17", "age", {"age": 17}),
    ("17", None, {}),
    ("cuisine et jardinage", "skills", {"skills": ["cooking", "gardening"]}),
    ("le samedi", "availability", {"availability": ["saturday:morning", "saturday:afternoon", "saturday:evening"]}),
    ("l'écologie", "causes", {"causes": ["environment"]}),
    ("julie.martin@gmail.com", "contact", {"email": "julie.martin@gmail.com"}),
    ("Bonjour, je voudrais aider", None, {}),
    # a skill word inside a cause phrase names the cause only; said on its own it is the skill
    ("l'accueil des migrants", "causes", {"causes": ["international"]}),
    ("accueil des réfugiés et cuisine", None, {"skills": ["cooking"], "causes": ["international"]}),
    ("je fais l'accueil et j'aime aider les réfugiés", None, {"skills": ["reception"], "causes": ["international"]}),
    ("oui", "first_name", {}),
    ("", None, {}),
]


@pytest.mark.parametrize(("text", "expecting", "expected"), MESSAGES)
def test_extract_facts(text: str, expecting: str | None, expected: dict[str, object]) -> None:
    assert summary(extract_facts(text, expecting=expecting, today=TODAY)) == expected


def test_unknown_expected_field_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown expected field"):
        extract_facts("Julie", expecting="shoe_size")


def test_bare_place_answer_has_coordinates() -> None:
    assert extract_facts("Bron", expecting="place").place == BRON
