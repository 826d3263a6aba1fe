"""CachedTEDPolicy gives TED's own predictions, from memory when the dialogue states repeat.

The trained model of the test run is loaded in this process; every dialogue of the training
stories is replayed turn by turn, and each prediction is compared with the one TEDPolicy
itself computes for the same conversation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from rasa.core.agent import Agent
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.policies import CachedTEDPolicy, frozen


def test_frozen_states_ignore_dict_order_but_not_values() -> None:
    a = {"user": {"intent": "inform", "entities": ("place",)}, "slots": {"consent": (1.0,)}}
    b = {"slots": {"consent": (1.0,)}, "user": {"entities": ("place",), "intent": "inform"}}
    assert frozen([a]) == frozen([b])
    assert hash(frozen([a])) == hash(frozen([b]))
    assert frozen([a]) != frozen([{**a, "slots": {"consent": (0.0,)}}])


def test_every_prediction_equals_teds_own_and_repeated_states_come_from_memory(
    agent: Agent, component: Callable[[type], Any], rule_only_data: dict[str, Any], story_trackers: list[Any]
) -> None:
    policy = component(CachedTEDPolicy)
    assert isinstance(policy, CachedTEDPolicy)
    domain = agent.domain
    compared = 0
    hits, misses = policy.hits, policy.misses  # other tests of this run use the same model
    for story in story_trackers:
        tracker = DialogueStateTracker(story.sender_id, domain.slots)
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
    assert policy.hits - hits >= compared  # every second call at least
    assert policy.misses - misses <= compared


def test_a_prediction_kept_in_memory_is_not_changed_by_what_rasa_does_with_the_returned_one(
    agent: Agent, component: Callable[[type], Any]
) -> None:
    policy = component(CachedTEDPolicy)
    tracker = asyncio.run(agent.processor.fetch_tracker_with_initial_session("memory-check"))
    first = policy.predict_action_probabilities(tracker, agent.domain)
    expected = list(first.probabilities)
    first.probabilities[0] = 42.0  # Rasa's ensemble zeroes rejected actions in place
    again = policy.predict_action_probabilities(tracker, agent.domain)
    assert again.probabilities == expected
