"""The profile form's validation action with real trackers: bare answers, corrections, re-asks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.profile_form import ValidateProfileForm

REQUIRED = ["first_name", "age_group", "place", "skills", "availability", "causes", "contact"]


def run_form(tracker: Any, dispatcher: CollectingDispatcher, domain: dict) -> dict[str, Any]:
    events = asyncio.run(ValidateProfileForm().run(dispatcher, tracker, domain))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]


@pytest.mark.parametrize(
    ("requested", "text", "expected"),
    [
        ("first_name", "Julie", {"first_name": "Julie"}),
        ("first_name", "moi c'est anne-sophie !", {"first_name": "Anne-Sophie"}),
        ("age_group", "34", {"age_group": "adult"}),
        ("age_group", "je suis majeur", {"age_group": "adult"}),
        ("place", "Bron", {"place": "Bron|69500|45.73865|4.91303"}),
        ("skills", "rien de particulier", {"skills": []}),
        ("causes", "peu importe", {"causes": []}),
    ],
)
def test_bare_answers_fill_the_requested_slot(tracker, dispatcher, domain, requested, text, expected) -> None:
    slots = run_form(tracker(text, slots={"requested_slot": requested}), dispatcher, domain)
    assert {key: slots[key] for key in expected} == expected
    assert dispatcher.messages == []


def test_a_first_name_that_is_also_a_town_prefix_is_not_taken_as_the_town(tracker, dispatcher, domain) -> None:
    pierre_benite = "Pierre-Bénite|69310|45.70359|4.82424"
    t = tracker(
        "Pierre", entities=[{"entity": "place", "value": pierre_benite}], slots={"requested_slot": "first_name"}
    )
    t.slots["place"] = pierre_benite
    t.events.append({"event": "slot", "name": "place", "value": pierre_benite})
    slots = run_form(t, dispatcher, domain)
    assert (slots["first_name"], slots["place"]) == ("Pierre", None)


def test_an_unrecognised_answer_is_asked_again_with_an_example(tracker, dispatcher, domain) -> None:
    slots = run_form(tracker("bof", slots={"requested_slot": "first_name"}), dispatcher, domain)
    assert slots["first_name"] is None
    assert responses(dispatcher) == ["utter_not_understood_first_name"]


def test_a_second_unrecognised_optional_answer_moves_on(tracker, dispatcher, domain) -> None:
    earlier = [{"event": "bot", "text": "...", "metadata": {"utter_action": "utter_not_understood_skills"}}]
    slots = run_form(tracker("euh", slots={"requested_slot": "skills"}, events=earlier), dispatcher, domain)
    assert slots["skills"] == []
    assert responses(dispatcher) == ["utter_skipped_field"]


def test_a_question_in_the_middle_fills_nothing_so_the_form_lets_a_rule_answer(tracker, dispatcher, domain) -> None:
    slots = run_form(
        tracker("je suis assuré ?", intent="faq_insurance", slots={"requested_slot": "first_name"}), dispatcher, domain
    )
    assert slots == {}


def test_an_invalid_email_is_asked_again(tracker, dispatcher, domain) -> None:
    slots = run_form(tracker("julie@exemple", slots={"requested_slot": "contact"}), dispatcher, domain)
    assert slots["contact"] is None
    assert responses(dispatcher) == ["utter_invalid_email"]


def test_a_short_phone_number_is_asked_again(tracker, dispatcher, domain) -> None:
    run_form(tracker("06 12 34", slots={"requested_slot": "contact"}), dispatcher, domain)
    assert responses(dispatcher) == ["utter_invalid_phone"]


def test_an_email_given_earlier_fills_the_contact(tracker, dispatcher, domain) -> None:
    slots = run_form(tracker("Lyon", slots={"requested_slot": "place", "email": "a@b.fr"}), dispatcher, domain)
    assert slots["contact"] == "a@b.fr"


@pytest.mark.parametrize(
    ("age", "group", "response"),
    [("15", "too_young", "utter_too_young"), ("17", "minor", "utter_minor_info"), ("40", "adult", None)],
)
def test_age_becomes_a_group_and_minors_are_told(tracker, dispatcher, domain, age, group, response) -> None:
    t = tracker(f"j'ai {age} ans", slots={"age_group": age, "requested_slot": "age_group"})
    t.events.append({"event": "slot", "name": "age_group", "value": age})  # set from the message's entity
    slots = run_form(t, dispatcher, domain)
    assert slots["age_group"] == group
    assert responses(dispatcher) == ([response] if response else [])
    if group == "too_young":
        assert slots["requested_slot"] is None  # the form ends; nothing will be stored


def test_a_correction_replaces_and_aussi_adds(tracker, dispatcher, domain) -> None:
    before = [{"event": "slot", "name": "skills", "value": ["cooking"]}]
    replaced_events = before + [
        {"event": "user", "text": "x"},
        {"event": "slot", "name": "skills", "value": ["driving"]},
    ]
    replaced = make_run(tracker, dispatcher, domain, "en fait je conduis", replaced_events, ["driving"])
    assert replaced["skills"] == ["driving"]
    added = make_run(tracker, CollectingDispatcher(), domain, "je conduis aussi", replaced_events, ["driving"])
    assert added["skills"] == ["cooking", "driving"]


def make_run(tracker, dispatcher, domain, text, events, value) -> dict[str, Any]:
    history = events[:-2]  # the earlier value, then the new user message and its slot event
    t = tracker(text, slots={"skills": value, "requested_slot": "availability"}, events=history)
    t.events.append({"event": "slot", "name": "skills", "value": value})
    return run_form(t, dispatcher, domain)


@pytest.mark.parametrize(
    ("requested", "text", "heard_as", "expected"),
    [
        ("causes", "peu importe", "stop", {"causes": []}),
        ("skills", "rien de particulier", "faq_training", {"skills": []}),
        ("skills", "cuisine", "faq_training", {"skills": ["cooking"]}),
        ("contact", "lea.b@exemple.fr", "out_of_scope", {"contact": "lea.b@exemple.fr"}),
    ],
)
def test_a_short_answer_to_the_question_wins_over_a_wrong_intent(
    tracker, dispatcher, domain, requested, text, heard_as, expected
) -> None:
    slots = run_form(tracker(text, intent=heard_as, slots={"requested_slot": requested}), dispatcher, domain)
    assert {key: slots[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("text", "intent"),
    [("et l'assurance, ça marche comment ?", "faq_insurance"), ("stop", "stop"), ("je veux arrêter", "stop")],
)
def test_real_questions_and_commands_still_interrupt_the_form(tracker, dispatcher, domain, text, intent) -> None:
    assert run_form(tracker(text, intent=intent, slots={"requested_slot": "causes"}), dispatcher, domain) == {}


def test_an_optional_question_already_asked_twice_is_not_asked_a_third_time(tracker, dispatcher, domain) -> None:
    asked = {"event": "bot", "text": "...", "metadata": {"utter_action": "utter_ask_causes"}}
    slots = run_form(tracker("euh", slots={"requested_slot": "causes"}, events=[asked, asked]), dispatcher, domain)
    assert slots["causes"] == []
    assert responses(dispatcher) == ["utter_skipped_field"]


@pytest.mark.parametrize(("text", "skill"), [("les festivals", "event_planning"), ("la musique", "music_arts")])
def test_words_that_name_a_cause_and_a_skill_answer_the_causes_question_only(
    tracker, dispatcher, domain, text, skill
) -> None:
    # Rasa filled the skills slot from the message's entities, over the skills said earlier.
    earlier = [{"event": "slot", "name": "skills", "value": ["cooking"]}]
    t = tracker(text, slots={"requested_slot": "causes", "skills": [skill]}, events=earlier)
    t.latest_message["entities"] = [{"entity": "skill", "value": skill}]
    t.events.append({"event": "slot", "name": "skills", "value": [skill]})
    slots = run_form(t, dispatcher, domain)
    assert slots["skills"] == ["cooking"]
    assert slots["causes"] == ["culture"]


def test_an_activity_said_about_a_cause_does_not_replace_the_skills(tracker, dispatcher, domain) -> None:
    text = "aider à distribuer des paniers aux familles"
    earlier = [{"event": "slot", "name": "skills", "value": ["accounting"]}]
    t = tracker(text, slots={"requested_slot": "causes", "skills": ["logistics"]}, events=earlier)
    t.latest_message["entities"] = [{"entity": "skill", "value": "logistics"}]
    t.events.append({"event": "slot", "name": "skills", "value": ["logistics"]})
    slots = run_form(t, dispatcher, domain)
    assert slots["skills"] == ["accounting"]
    assert slots["causes"] == ["solidarity"]


def test_a_commune_not_found_offers_the_likely_ones_as_buttons(tracker, dispatcher, domain) -> None:
    slots = run_form(tracker("Landernau", slots={"requested_slot": "place"}), dispatcher, domain)
    assert slots["place"] is None
    assert responses(dispatcher) == ["utter_place_suggestions"]
    buttons = dispatcher.messages[0]["buttons"]
    assert buttons[0]["title"] == "Landerneau"
    assert buttons[0]["payload"].startswith('/inform{"place": "Landerneau||')
    assert buttons[-1]["payload"] == "/human_handoff"


def test_a_required_answer_not_understood_twice_offers_a_person(tracker, dispatcher, domain) -> None:
    earlier = [{"event": "bot", "text": "...", "metadata": {"utter_action": "utter_not_understood_first_name"}}]
    slots = run_form(tracker("???", slots={"requested_slot": "first_name"}, events=earlier), dispatcher, domain)
    assert slots["first_name"] is None
    assert responses(dispatcher) == ["utter_not_understood_first_name"]
    assert dispatcher.messages[0]["buttons"] == [{"title": "Parler à quelqu'un", "payload": "/human_handoff"}]
