"""Rasa NLU component: a short question the intent model is unsure about, that names one FAQ topic.

Placed after the intent classifier and before the FallbackClassifier: when the model's best
intent is below the fallback threshold, the message is a short question or a keyword on
its own ("assurance ?", "et le casier judiciaire ?", "frais de transport") and it names the keywords of exactly one FAQ
topic of ``data/association/faq.yml`` (typos tolerated by the shared lexicon: "assurence"),
the intent becomes that topic's, just above the threshold. Otherwise nothing changes: a
confident model is never overruled, and two topics named at once stay "reformulez".
The keywords are read when the model loads; faq.yml is one of the model's inputs
(``bot.training``), so the next start after editing it trains again (about a minute).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.config import get_settings
from bot.errors import InvalidDataError
from bot.understanding.lexicon import Lexicon

FAQ_FILE = "faq.yml"
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


def faq_keywords(folder: str | None = None) -> dict[str, tuple[str, ...]]:
    """The words that name each FAQ topic, per intent name (the optional ``keywords`` of faq.yml).

    Read here rather than through ``bot.texts``, so that the model's inputs (``bot.training``)
    are this file and not every text of the association (the consent, the bubble's words).
    """
    path = Path(folder or get_settings().association_dir) / FAQ_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidDataError(f"impossible de lire {path} : {error}") from error
    topics = data.get("topics") if isinstance(data, dict) else None
    keywords = {}
    for topic, entry in (topics or {}).items():
        words = entry.get("keywords") if isinstance(entry, dict) else None
        if words is None:
            continue
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise InvalidDataError(f"{FAQ_FILE} : les mots-clés (keywords) du thème {topic!r} : une liste de mots")
        keywords[str(entry["intent"])] = tuple(w.strip() for w in words)
    return keywords


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
