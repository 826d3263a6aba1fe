"""The FAQ keywords component: unsure, short questions naming one topic get that topic."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.rasa.nlu.faq_keywords import FaqKeywords, faq_keywords
from bot.texts import faq_answers


@pytest.fixture(scope="module")
def component() -> FaqKeywords:
    return FaqKeywords(FaqKeywords.get_default_config(), faq_keywords())


def parsed(text: str, intent: str, confidence: float) -> Message:
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": confidence})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": confidence}])
    return message


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("assurance ?", "faq_insurance"),
        ("asssurance", "faq_insurance"),
        ("frais de transport", "faq_expenses"),
        ("et pour le casier judiciaire ?", "faq_background_check"),
        ("vous faites des attestations ?", "faq_attestation"),
        ("je n'ai aucune formation, c'est grave ?", "faq_training"),
        ("c'est accessible en fauteuil roulant ?", "faq_accessibility"),
        ("y a-t-il un préavis ?", "faq_stop_anytime"),
    ],
)
def test_an_unsure_short_question_naming_one_topic_gets_it(component, text, topic) -> None:
    message = component.process([parsed(text, "out_of_scope", 0.31)])[0]
    assert message.get(INTENT)["name"] == topic
    assert message.get(INTENT)["confidence"] > 0.55 + 0.05  # clear of the fallback and its ambiguity margin
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == topic


@pytest.mark.parametrize(
    "text",
    [
        "je suis mineure",  # an answer to the age question, not a question about it
        "frais et assurance ?",  # two topics: let the assistant ask to rephrase
        "bonjour",
        "je suis disponible le samedi matin et le dimanche après-midi pour aider les gens",
        "/faq_insurance",
    ],
)
def test_other_messages_are_left_to_the_model(component, text) -> None:
    message = component.process([parsed(text, "out_of_scope", 0.31)])[0]
    assert message.get(INTENT)["name"] == "out_of_scope"


def test_a_confident_model_is_never_overruled(component) -> None:
    message = component.process([parsed("assurance ?", "want_to_volunteer", 0.9)])[0]
    assert message.get(INTENT)["name"] == "want_to_volunteer"


def test_every_topic_with_keywords_has_an_answer() -> None:
    assert set(faq_keywords()) <= set(faq_answers())
