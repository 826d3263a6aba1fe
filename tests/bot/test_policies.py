"""CachedTEDPolicy gives TED's own predictions, from memory when the dialogue states repeat.

The trained model of the test run is loaded in this process; every dialogue of the training
stories is replayed turn by turn, and each prediction is compared with the one TEDPolicy
itself computes for the same conversation.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.core.agent import Agent
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from bot.config import ROOT
from bot.policies import CachedTEDPolicy, frozen
from bot.serve import TRAINING_DATA


@pytest.fixture(scope="module")
def agent(trained_model: Path) -> Agent:
    return Agent.load(str(trained_model))


def component(agent: Agent, kind: type) -> object:
    """The loaded instance of one graph component of the model."""
    nodes = agent.processor.graph_runner._instantiated_nodes.values()  # type: ignore[union-attr]
    return next(node._component for node in nodes if isinstance(node._component, kind))


def story_trackers(agent: Agent) -> list[DialogueStateTracker]:
    """The dialogues of the training stories (rules hold markers that only RulePolicy reads)."""
    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(ROOT / "domain.yml"), training_data_paths=[str(ROOT / path) for path in TRAINING_DATA]
    )
    stories = importer.get_stories()
    generator = TrainingDataGenerator(stories, agent.domain, augmentation_factor=0)  # type: ignore[arg-type]
    return list(generator.generate_story_trackers())


def test_frozen_states_ignore_dict_order_but_not_values() -> None:
    a = {"user": {"intent": "inform", "entities": ("place",)}, "slots": {"consent": (1.0,)}}
    b = {"slots": {"consent": (1.0,)}, "user": {"entities": ("place",), "intent": "inform"}}
    assert frozen([a]) == frozen([b])
    assert hash(frozen([a])) == hash(frozen([b]))
    assert frozen([a]) != frozen([{**a, "slots": {"consent": (0.0,)}}])


def test_every_prediction_equals_teds_own_and_repeated_states_come_from_memory(agent: Agent) -> None:
    policy = component(agent, CachedTEDPolicy)
    assert isinstance(policy, CachedTEDPolicy)
    rule_only_data = component(agent, RulePolicy)._get_rule_only_data()  # type: ignore[attr-defined]
    domain = agent.domain
    compared = 0
    for story in story_trackers(agent):
        tracker = DialogueStateTracker(story.sender_id, domain.slots)  # type: ignore[union-attr]
        for event in story.events:
            if isinstance(event, ActionExecuted) and event.action_name and len(tracker.events) > 1:
                for _ in range(2):  # the second time, from memory
                    cached = policy.predict_action_probabilities(tracker, domain, rule_only_data=rule_only_data)
                    own = TEDPolicy.predict_action_probabilities(policy, tracker, domain, rule_only_data=rule_only_data)
                    assert cached.probabilities == own.probabilities
                    assert cached.policy_name == "CachedTEDPolicy"
                    assert cached.is_end_to_end_prediction == own.is_end_to_end_prediction
                compared += 1
            tracker.update(event)
    assert compared >= 40  # every action of every story
    assert policy.hits >= compared  # every second call at least
    assert policy.misses <= compared


def test_a_prediction_kept_in_memory_is_not_changed_by_what_rasa_does_with_the_returned_one(agent: Agent) -> None:
    policy = component(agent, CachedTEDPolicy)
    tracker = asyncio.run(agent.processor.fetch_tracker_with_initial_session("memory-check"))  # type: ignore[union-attr]
    first = policy.predict_action_probabilities(tracker, agent.domain)  # type: ignore[union-attr]
    expected = list(first.probabilities)
    first.probabilities[0] = 42.0  # Rasa's ensemble zeroes rejected actions in place
    again = policy.predict_action_probabilities(tracker, agent.domain)  # type: ignore[union-attr]
    assert again.probabilities == expected
