"""Rasa NLU component: an unsure message that states facts about the person is them informing us.

Placed after the intent classifier and before the FallbackClassifier, like ``faq_keywords``.
"Bonjour, je m'appelle Odile, j'habite à Vénissieux" is often a person's first message: the
profile extractor finds the first name and the town, but the intent model, with nothing said
of why they write, stays under the fallback threshold, and the assistant answered "je n'ai pas
bien compris" to someone who had just introduced themself. When the model is unsure, the
message is not a question, and it gives facts of the profile (``bot.rasa.nlu.profile_extractor``:
a first name, an age, an e-mail address, a phone number, a town...), the intent becomes
``inform``, just above the threshold: what a confident model would have said, and what the
dialogue already handles (consent first, the facts kept aside until then; the next question
inside the profile). A confident model is never overruled, and a question naming a town
("y a-t-il des missions à Bron ?") stays with the model.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa.nlu.faq_keywords import QUESTION

INFORM = "inform"
# What the profile extractor finds; skills, causes and half-days alone are too often asked about.
FACTS = frozenset({"first_name", "age", "place", "email", "phone"})


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class FactsAsInform(GraphComponent):
    """Gives an unsure message that is no question and states profile facts the intent ``inform``."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``threshold``: the FallbackClassifier's."""
        return {"threshold": 0.55}

    def __init__(self, config: dict[str, Any]) -> None:
        self._threshold = float(config["threshold"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FactsAsInform:
        """Build the component from its config."""
        return cls(config)

    @staticmethod
    def states_facts(message: Message) -> bool:
        """Whether a message is no question and carries a fact of the profile."""
        text = message.get(TEXT) or ""
        if text.startswith("/") or QUESTION.search(text):
            return False
        return any(entity.get(ENTITY_ATTRIBUTE_TYPE) in FACTS for entity in message.get(ENTITIES) or [])

    def process(self, messages: list[Message]) -> list[Message]:
        """Set ``inform`` on unsure messages that state facts."""
        for message in messages:
            intent = message.get(INTENT) or {}
            if (intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= self._threshold or not self.states_facts(message):
                continue
            # Just above the threshold and clear of the ambiguity margin, as faq_keywords does.
            informed = {INTENT_NAME_KEY: INFORM, PREDICTED_CONFIDENCE_KEY: min(1.0, self._threshold + 0.15)}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != INFORM]
            message.set(INTENT, informed, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [informed, *ranking], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to learn."""
        return training_data
