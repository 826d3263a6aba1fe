"""bot.rasa.speedups.trackers: the patched Rasa code gives Rasa's own answers."""

from __future__ import annotations

from typing import Any

from rasa.core.agent import Agent
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.speedups import trackers


def sharing(states: list[dict[str, Any]]) -> list[list[int]]:
    """Which inner dicts of the states are one and the same object, as numbers in order of appearance."""
    seen: dict[int, int] = {}
    return [[seen.setdefault(id(sub_state), len(seen)) for sub_state in state.values()] for state in states]


def test_dialogue_states_are_rasas_own_replayed_once_per_tracker_and_each_caller_gets_a_copy(
    agent: Agent, rule_only_data: dict[str, Any], story_trackers: list[DialogueStateTracker], monkeypatch: Any
) -> None:
    """Every prefix of every training dialogue, with the options RulePolicy and the ML policies use."""
    rasas_own = trackers._original["past_states"]
    replays = []

    def counted(*args: Any) -> Any:
        replays.append(args)
        return rasas_own(*args)

    monkeypatch.setitem(trackers._original, "past_states", counted)
    domain = agent.domain
    compared = shared = 0
    for story in story_trackers:
        tracker = DialogueStateTracker(story.sender_id, domain.slots, is_rule_tracker=story.is_rule_tracker)  # type: ignore[union-attr]
        for event in story.events:
            tracker.update(event)
            for ml_policy in (False, True):
                data = rule_only_data if ml_policy else None
                expected = rasas_own(tracker, domain, False, ml_policy, data)
                before = len(replays)
                first = tracker.past_states(domain, ignore_rule_only_turns=ml_policy, rule_only_data=data)
                assert first == expected
                assert sharing(first) == sharing(expected)
                numbers = [number for state in sharing(first) for number in state]
                shared += len(set(numbers)) < len(numbers)
                for state in first:  # what Rasa's featurizers may do to the states they are given
                    for sub_state in state.values():
                        sub_state.clear()
                first.clear()
                again = tracker.past_states(domain, ignore_rule_only_turns=ml_policy, rule_only_data=data)
                assert again == expected
                assert len(replays) == before + 1  # the second call did not replay the conversation
            compared += 1
    assert compared >= 100  # every event of every training dialogue
    assert shared > 0  # the copies kept states that share their user input, as Rasa's do


def test_a_different_tracker_or_options_are_never_answered_from_memory(agent: Agent) -> None:
    domain = agent.domain
    first = DialogueStateTracker("memory-a", domain.slots)  # type: ignore[union-attr]
    second = DialogueStateTracker("memory-b", domain.slots)  # type: ignore[union-attr]
    for tracker in (first, second):
        tracker.update(ActionExecuted("action_listen"))
    first.update(UserUttered("bonjour", {"name": "greet", "confidence": 1.0}))
    assert first.past_states(domain) != second.past_states(domain)
    assert first.past_states(domain) == trackers._original["past_states"](first, domain)
    first.update(ActionExecuted("utter_greet"))
    assert first.past_states(domain)[-1]["prev_action"] == {"action_name": "utter_greet"}
    only_rules = {"slots": [], "loops": []}
    assert first.past_states(domain, ignore_rule_only_turns=True, rule_only_data=only_rules) == trackers._original[
        "past_states"
    ](first, domain, False, True, only_rules)


def test_applied_events_are_rasas_own_worked_out_once_per_tracker_and_events(
    agent: Agent, story_trackers: list[DialogueStateTracker], monkeypatch: Any
) -> None:
    """Every prefix of every training dialogue (form executions undo earlier turns in them)."""
    rasas_own = trackers._original["applied_events"]
    calls = []

    def counted(tracker: DialogueStateTracker) -> Any:
        calls.append(tracker)
        return rasas_own(tracker)

    monkeypatch.setitem(trackers._original, "applied_events", counted)
    compared = undone = 0
    for story in story_trackers:
        tracker = DialogueStateTracker(story.sender_id, agent.domain.slots, is_rule_tracker=story.is_rule_tracker)  # type: ignore[union-attr]
        for event in story.events:
            tracker.update(event)
            expected = rasas_own(tracker)
            before = len(calls)
            first = tracker.applied_events()
            assert first == expected and all(mine is theirs for mine, theirs in zip(first, expected, strict=True))
            first.clear()  # the caller's own list
            assert tracker.applied_events() == expected
            assert len(calls) == before + 1  # worked out once for these events
            compared += 1
            undone += len(expected) < len(tracker.events)
    assert compared >= 100 and undone > 0


def test_slots_are_copied_as_copy_copies_them(agent: Agent) -> None:
    import copy

    domain = agent.domain
    assert domain is not None
    kinds = set()
    for slot in domain.slots:
        slot.value = ["cuisine"] if slot.type_name == "list" else slot.initial_value
        copied = copy.copy(slot)
        expected = copy._reconstruct(slot, None, *slot.__reduce_ex__(4))  # type: ignore[attr-defined]
        assert type(copied) is type(slot) and copied is not slot
        assert vars(copied) == vars(expected) and copied.value is slot.value  # shallow, as copy.copy
        copied.value = "autre"
        assert slot.value != "autre"
        kinds.add(type(slot))
        slot.reset()
    assert kinds & trackers._PLAIN_SLOTS == kinds  # every kind of slot of our domain took the direct copy
