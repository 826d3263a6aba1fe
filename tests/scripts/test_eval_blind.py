"""Tests of the blind set runner's pure functions (no servers): loose comparison, topics, the volunteer's side."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.eval_blind import (
    TOPIC_ANSWERS,
    BlindVolunteer,
    field_right,
    load_blind,
    on_topic,
    overlap_right,
    phone_digits,
    plain,
)
from scripts.measure.volunteers import Question

EXPECTED: dict[str, Any] = {
    "first_name": "Marie-Claire",
    "town": "Lyon",
    "postcode": "69003",
    "skills": ["comptabilité"],
    "availability": [{"day": "mardi", "part": "soir"}, {"day": "jeudi", "part": "après-midi"}],
    "causes": ["personnes âgées"],
    "contact": "06 12 34 56 78",
}
ROW: dict[str, Any] = {
    "first_name": "marie claire",
    "city": "Lyon 3e Arrondissement",
    "postcode": "69003",
    "skills": ["accounting"],
    "availability": [{"day": "tuesday", "period": "evening"}, {"day": "thursday", "period": "afternoon"}],
    "interests": ["solidarity"],
    "email": None,
    "phone": "+33 6 12 34 56 78",
}


def test_plain_leaves_out_case_accents_and_hyphens() -> None:
    assert plain("  Marie-Claire ") == "marie claire"
    assert plain("Après-midi") == "apres midi"


@pytest.mark.parametrize("name", ["first_name", "town", "postcode", "skills", "availability", "causes", "contact"])
def test_a_right_profile_is_right_field_by_field(name: str) -> None:
    assert field_right(name, EXPECTED, ROW) is True


def test_wrong_or_missing_values_are_wrong() -> None:
    assert field_right("town", EXPECTED, {**ROW, "city": "Lyonnais"}) is False
    assert field_right("postcode", EXPECTED, {**ROW, "postcode": "69001"}) is False
    assert field_right("availability", EXPECTED, {**ROW, "availability": ROW["availability"][:1]}) is False
    assert field_right("contact", EXPECTED, {**ROW, "phone": "06 12 34 56 79"}) is False
    assert field_right("first_name", EXPECTED, None) is False


def test_postcode_outside_the_three_cities_needs_the_department_only() -> None:
    expected = {**EXPECTED, "town": "Toulouse", "postcode": "31000"}
    assert field_right("postcode", expected, {**ROW, "postcode": "31100"}) is True
    assert field_right("postcode", {**EXPECTED, "postcode": None}, ROW) is None
    assert field_right("postcode", expected, {**ROW, "postcode": None}) is None
    assert field_right("postcode", EXPECTED, {**ROW, "postcode": None}) is False


def test_a_namesake_town_elsewhere_is_wrong() -> None:
    reunion = {**EXPECTED, "town": "Saint-Pierre", "postcode": "97410"}
    assert field_right("town", reunion, {**ROW, "city": "Saint-Pierre", "postcode": "97410"}) is True
    assert field_right("town", reunion, {**ROW, "city": "Saint-Pierre-de-Chandieu", "postcode": "69780"}) is False
    assert field_right("town", reunion, {**ROW, "city": "Saint-Pierre", "postcode": "69780"}) is False


def test_overlap_allows_one_extra_code_only() -> None:
    assert overlap_right(["cooking", "handiwork"], {"cooking"}) is True
    assert overlap_right(["cooking", "handiwork", "driving"], {"cooking"}) is False
    assert overlap_right(["driving"], {"cooking"}) is False
    assert overlap_right([], set()) is None


def test_phone_digits_reads_the_international_form() -> None:
    assert phone_digits("+33 6 12 34 56 78") == phone_digits("06.12.34.56.78") == "0612345678"


def test_topics_are_judged_by_answer_names_or_words() -> None:
    assert on_topic("insurance", ["faq_insurance", "utter_ask_place"], ["…"]) is True
    assert on_topic("insurance", ["utter_ask_place"], ["…"]) is False
    assert on_topic("background_check", ["?"], ["Un extrait de casier judiciaire vous sera demandé"]) is True
    assert set(TOPIC_ANSWERS) == {item["topic"] for item in load_blind()[1]} | {"background_check", "other"}


def test_the_volunteer_answers_asks_and_corrects_at_pending_questions() -> None:
    volunteer = {
        "id": "t",
        "opening": "bonjour",
        "answers": {"first_name": ["Léa", "lea"], "town": ["Lyon"]},
        "asks": [{"text": "suis-je assurée ?", "topic": "insurance"}],
        "corrections": [{"field": "town", "text": "ah non, plutôt Bron", "value": "Bron", "first": "Lyon"}],
    }
    side = BlindVolunteer(volunteer)
    assert side.next_message(Question("consent")) == ("oui d'accord", None)
    assert side.next_message(Question("ask", "first_name")) == ("Léa", None)
    assert side.next_message(Question("retry", "first_name")) == ("lea", None)
    assert side.next_message(Question("ask", "place")) == ("suis-je assurée ?", "ask:insurance")
    assert side.next_message(Question("ask", "place")) == ("Lyon", None)
    assert side.next_message(Question("ask", "skills")) == ("ah non, plutôt Bron", "correction:town")
    assert side.next_message(Question("confirm")) == ("oui c'est correct", None)


def test_the_blind_set_keeps_its_promises() -> None:
    volunteers, faq = load_blind()
    assert len(volunteers) >= 40 and len(faq) >= 40
    assert sum(bool(v.get("asks")) for v in volunteers) >= 12
    assert sum(bool(v.get("corrections")) for v in volunteers) >= 6
    for volunteer in volunteers:
        for correction in volunteer.get("corrections") or []:
            assert volunteer["expected"][correction["field"]] == correction["value"]
