"""Rasa NLU component: a short question the intent model is unsure about, that names one FAQ topic.

Placed after the intent classifier and before the FallbackClassifier: when the model's best
intent is below the fallback threshold, the message is a short question or a keyword on
its own ("assurance ?", "et le casier judiciaire ?", "frais de transport") and it names the keywords of exactly one FAQ
topic of ``data/association/faq.yml`` (typos tolerated by the shared lexicon: "assurence"),
the intent becomes that topic's, just above the threshold. Otherwise nothing changes: a
confident model is never overruled, and two topics named at once stay "reformulez".
The keywords are read when the model loads: after editing them, restart the assistant.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.texts import faq_keywords
from bot.understanding.lexicon import Lexicon

WORD = re.compile(r"[^\W\d_]{2,}")
# A question: a question mark, or the words that open one in French.
QUESTION = re.compile(
    r"\?|^\s*(?:est[- ]ce|comment|combien|pourquoi|quel(?:le)?s?|qui|quand|o[uù]|faut[- ]il|peut[- ]on|"
    r"y a[- ]t[- ]il|vous (?:prenez|acceptez|demandez|faites))\b",
    re.IGNORECASE,
)
# A message this short is a keyword said on its own ("assurance", "frais de transport"),
# unless it speaks of oneself ("je suis mineure" answers the age question).
KEYWORD_ALONE_WORDS = 3
ABOUT_ONESELF = re.compile(r"^\s*(?:je|j['’]|moi|on)\b", re.IGNORECASE)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class FaqKeywords(GraphComponent):
    """Gives an unsure, short message the FAQ intent whose keywords it names, if only one."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``threshold``: the FallbackClassifier's; ``max_words``: longer messages are left to the model."""
        return {"threshold": 0.55, "max_words": 8}

    def __init__(self, config: dict[str, Any], keywords: dict[str, tuple[str, ...]]) -> None:
        self._threshold = float(config["threshold"])
        self._max_words = int(config["max_words"])
        self._lexicon = Lexicon(keywords, heed_negation=False)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FaqKeywords:
        """Build the component from its config and the association's FAQ keywords."""
        return cls(config, faq_keywords())

    def topic(self, text: str) -> str | None:
        """The one FAQ intent whose keywords a short text names, or None."""
        words = len(WORD.findall(text))
        if text.startswith("/") or not 0 < words <= self._max_words:
            return None
        if (words > KEYWORD_ALONE_WORDS or ABOUT_ONESELF.match(text)) and not QUESTION.search(text):
            # "je suis mineure", answered to the age question, is no question about the age limit.
            return None
        intents = self._lexicon.find(text)
        return intents[0] if len(intents) == 1 else None

    def process(self, messages: list[Message]) -> list[Message]:
        """Set the FAQ intent of unsure, short messages that name one topic."""
        for message in messages:
            intent = message.get(INTENT) or {}
            if (intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= self._threshold:
                continue
            topic = self.topic(message.get(TEXT) or "")
            if topic is None:
                continue
            # Just above the threshold, and clear of the ambiguity margin: the model's own
            # ranking stays below it, for the record.
            rescued = {INTENT_NAME_KEY: topic, PREDICTED_CONFIDENCE_KEY: min(1.0, self._threshold + 0.15)}
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != topic]
            message.set(INTENT, rescued, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [rescued, *ranking], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to learn."""
        return training_data
