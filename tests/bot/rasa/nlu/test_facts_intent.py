"""The facts component: an unsure message that is no question and states profile facts is ``inform``."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.rasa.nlu.facts_intent import FactsAsInform
from bot.rasa.nlu.profile_extractor import facts_to_entities
from bot.understanding import extract_facts

COMPONENT = FactsAsInform(FactsAsInform.get_default_config())


def parsed(text: str, intent: str = "nlu_fallback", confidence: float = 0.4) -> Message:
    """A message as the pipeline leaves it before this component: the extractor's entities, the model's intent."""
    message = Message(data={TEXT: text})
    message.set(ENTITIES, [] if text.startswith("/") else facts_to_entities(extract_facts(text), len(text)))
    message.set(INTENT, {"name": intent, "confidence": confidence})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": confidence}])
    return message


@pytest.mark.parametrize(
    "text",
    [
        "Bonsoir, moi c'est Armelle et je vis à Bron",  # a first name and a town, no reason given
        "salut ! Théo, 19 ans",
        "mon mail : theo.martin@exemple.fr",
    ],
)
def test_an_unsure_statement_of_facts_is_the_person_informing(text: str) -> None:
    [message] = COMPONENT.process([parsed(text)])
    assert message.get(INTENT)["name"] == "inform" and message.get(INTENT)["confidence"] > 0.55
    assert message.get(INTENT_RANKING_KEY)[0]["name"] == "inform"


@pytest.mark.parametrize(
    "text",
    [
        "y a-t-il des missions à Bron ?",  # a question naming a town: the model's
        "quels jours, le samedi ?",
        "bof",  # no fact
        '/inform{"first_name": "Armelle"}',
    ],
)
def test_questions_and_messages_without_facts_are_left_to_the_model(text: str) -> None:
    [message] = COMPONENT.process([parsed(text)])
    assert message.get(INTENT)["name"] == "nlu_fallback"


def test_a_confident_model_is_never_overruled() -> None:
    [message] = COMPONENT.process([parsed("je m'appelle Armelle et je veux arrêter", "stop", 0.9)])
    assert message.get(INTENT)["name"] == "stop"
