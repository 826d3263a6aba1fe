"""bot.rasa.speedups.rules: the patched Rasa code gives Rasa's own answers."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.speedups import rules as rule_patches


def test_rules_found_for_every_turn_of_the_training_dialogues_are_rasas(
    agent: Agent, component: Any, story_trackers: list[DialogueStateTracker]
) -> None:
    """The rule keys that apply, and RulePolicy's predictions, after every action of the training dialogues."""
    from rasa.core.policies.rule_policy import RulePolicy

    policy = component(RulePolicy)
    rules = policy.lookup["rules"]
    longest = max(len(RulePolicy._rule_key_to_state(key)) for key in rules)
    domain = agent.domain
    trackers = []
    compared = longer = found = 0
    for story in story_trackers:
        tracker = DialogueStateTracker(story.sender_id, domain.slots)  # type: ignore[union-attr]
        for event in story.events:
            tracker.update(event)
            if not isinstance(event, ActionExecuted):
                continue
            trackers.append(tracker.copy())
            states = policy._prediction_states(tracker, domain)
            keys = policy._get_possible_keys(rules, states)
            assert keys == rule_patches._original["get_possible_keys"](policy, rules, states)
            compared += 1
            longer += len(states) > longest
            found += bool(keys)
    assert policy._get_possible_keys(rules, []) == set(rules)
    assert compared >= 50 and longer > 0 and found > 0
    ours = [policy.predict_action_probabilities(tracker, domain) for tracker in trackers]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RulePolicy, "_get_possible_keys", rule_patches._original["get_possible_keys"])
        rasas = [policy.predict_action_probabilities(tracker, domain) for tracker in trackers]
    assert [(p.probabilities, p.is_no_user_prediction) for p in ours] == [
        (p.probabilities, p.is_no_user_prediction) for p in rasas
    ]
    assert sum(max(p.probabilities) == 1.0 for p in ours) >= 20  # rules did apply


def test_a_changed_rule_lookup_is_indexed_again() -> None:
    """RulePolicy's training adds and removes rules: the index follows the keys, not the dict."""
    import json

    from rasa.core.policies.rule_policy import RulePolicy

    policy = RulePolicy.__new__(RulePolicy)

    def rule(action: str) -> str:
        return json.dumps([{"prev_action": {"action_name": action}, "user": {"intent": "greet"}}])

    state = {"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}
    lookup = {rule("action_listen"): "utter_greet"}
    assert policy._get_possible_keys(lookup, [state]) == {rule("action_listen")}
    lookup[rule("utter_bonjour")] = "utter_greet"
    del lookup[rule("action_listen")]  # same dict, same size, other keys
    assert policy._get_possible_keys(lookup, [state]) == set()
    state["prev_action"]["action_name"] = "utter_bonjour"
    assert policy._get_possible_keys(lookup, [state]) == {rule("utter_bonjour")}
