"""bot.rasa.speedups.models: the patched Rasa code gives Rasa's own answers."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa.core.agent import Agent
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.speedups import models


def test_diet_and_ted_predict_what_they_predict_through_tf_function(
    agent: Agent, component: Any, story_trackers: list[DialogueStateTracker], monkeypatch: Any
) -> None:
    """The intents of the held-out NLU examples, and TED's predictions after every training action."""
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.utils.tensorflow.models import RasaModel

    from bot.config import ROOT
    from bot.rasa.policies import CachedTEDPolicy

    texts = [example.get("text") for example in load_data(str(ROOT / "tests/nlu/holdout.yml")).intent_examples]
    assert len(texts) >= 50
    ted = component(CachedTEDPolicy)
    domain = agent.domain
    trackers = []
    for story in story_trackers[:40]:
        tracker = DialogueStateTracker(story.sender_id, domain.slots)  # type: ignore[union-attr]
        for event in story.events:
            tracker.update(event)
            if isinstance(event, ActionExecuted):
                trackers.append(tracker.copy())

    def predictions() -> tuple[list[Any], list[Any]]:
        parsed = [asyncio.run(agent.parse_message(text)) for text in texts]
        ted._predictions.clear()  # TED's own memory would answer the second round
        return (
            [(p["intent"], p["intent_ranking"]) for p in parsed],
            [ted.predict_action_probabilities(tracker, domain).probabilities for tracker in trackers],
        )

    calls = []
    direct = models._rasa_predict
    monkeypatch.setattr(RasaModel, "_rasa_predict", lambda *args: calls.append(args[0]) or direct(*args))
    ours = predictions()
    assert {c.__name__ for model in calls for c in type(model).__mro__} >= {"DIET", "TED"}
    assert all(models._FLAT_CALL in model.__dict__ for model in calls)  # the direct call was taken
    monkeypatch.setattr(RasaModel, "_rasa_predict", models._original["rasa_predict"])
    assert predictions() == ours
    assert component(DIETClassifier).model is not None
