"""DIET and TED loaded by prediction (bot.rasa.quick_load) predict what Rasa's own load predicts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.loading import load_data

from bot.config import ROOT, get_settings
from bot.rasa.nlu.diet import QuickLoadingDIETClassifier
from bot.rasa.policies import CachedTEDPolicy


def loaded(agent: Agent, kind: type) -> Any:
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    return next(node._component for node in nodes if isinstance(node._component, kind))


@pytest.fixture(scope="module")
def rasa_loaded(trained_model: Path) -> Agent:
    """The same model loaded by Rasa's own load (QUICK_MODEL_LOAD=0): one step of training first."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUICK_MODEL_LOAD", "0")
        get_settings.cache_clear()
        try:
            return Agent.load(str(trained_model))
        finally:
            get_settings.cache_clear()


def test_the_servers_load_skips_the_training_step(agent: Agent, rasa_loaded: Agent) -> None:
    for kind in (QuickLoadingDIETClassifier, CachedTEDPolicy):
        assert getattr(loaded(agent, kind).model, "loaded_quickly", False)
        assert not getattr(loaded(rasa_loaded, kind).model, "loaded_quickly", False)


def test_intents_and_next_actions_are_the_same_either_way(
    agent: Agent, rasa_loaded: Agent, story_trackers: list[DialogueStateTracker]
) -> None:
    texts = [example.get("text") for example in load_data(str(ROOT / "tests/nlu/holdout.yml")).intent_examples]
    assert len(texts) >= 50
    for text in texts:
        ours, rasas = (asyncio.run(a.parse_message(text)) for a in (agent, rasa_loaded))
        assert ours["intent"]["name"] == rasas["intent"]["name"], text
        assert [i["name"] for i in ours["intent_ranking"]] == [i["name"] for i in rasas["intent_ranking"]], text
        assert ours["intent"]["confidence"] == pytest.approx(rasas["intent"]["confidence"], abs=1e-5), text
    ted, rasa_ted = loaded(agent, CachedTEDPolicy), loaded(rasa_loaded, CachedTEDPolicy)
    domain = agent.domain
    checked = 0
    for story in story_trackers[:40]:
        tracker = DialogueStateTracker(story.sender_id, domain.slots)
        for event in story.events:
            tracker.update(event)
            if isinstance(event, ActionExecuted):
                ted._predictions.clear()
                rasa_ted._predictions.clear()
                ours = ted.predict_action_probabilities(tracker, domain).probabilities
                rasas = rasa_ted.predict_action_probabilities(tracker, domain).probabilities
                assert ours == pytest.approx(rasas, abs=1e-5)
                checked += 1
    assert checked > 40
