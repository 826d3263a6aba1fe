"""Rasa NLU component: normalised profile entities from each message, for every channel.

Placed after spaCy in config.yml. It turns what a volunteer writes into the entities the
profile form's slots are mapped from:

    first_name   "Julie"
    age          "17"
    place        "Villeurbanne|69100|45.76601|4.8795"   (see bot.profile.Place.to_slot)
    skill        "cooking"            (one entity per skill, taxonomy keys)
    cause        "environment"        (one entity per cause)
    availability "saturday:morning"   (one entity per half-day)
    email        "julie@exemple.fr"
    phone        "+33612345678"
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.understanding import Facts, extract_facts, warm_up

# Facts beyond this many characters are not looked for: it bounds the work a pasted essay costs.
MAX_CHARS = 1_000


def facts_to_entities(facts: Facts, text_length: int) -> list[dict[str, Any]]:
    """Rasa entity dicts for the facts found in one message (spans cover the whole message)."""
    values: list[tuple[str, str]] = []
    if facts.first_name:
        values.append(("first_name", facts.first_name))
    if facts.age is not None:
        values.append(("age", str(facts.age)))
    if facts.place is not None:
        values.append(("place", facts.place.to_slot()))
    values += [("skill", key) for key in facts.skills]
    values += [("cause", key) for key in facts.causes]
    values += [("availability", slot.key) for slot in facts.availability]
    if facts.email:
        values.append(("email", facts.email))
    if facts.phone:
        values.append(("phone", facts.phone))
    return [
        {"entity": entity, "value": value, "start": 0, "end": text_length, "confidence_entity": 1.0}
        for entity, value in values
    ]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class ProfileEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds normalised profile entities (names, places, skills, availability...) to messages."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ProfileEntityExtractor:
        """Build the component and load the gazetteer and taxonomy once, at server start."""
        warm_up()
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Add the entities found in each message."""
        for message in messages:
            text = message.get(TEXT) or ""
            if not text.strip() or text.startswith("/"):
                continue
            facts = extract_facts(text[:MAX_CHARS])
            found = self.add_extractor_name(facts_to_entities(facts, len(text)))
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data is left as it is: these entities are not learnt."""
        return training_data
