"""Replays of the conversation: dialogue states, applied events, slot copies.

- Every prediction of the next action makes each policy (rules, memoization, TED) turn the
  conversation into dialogue states, and RulePolicy does it twice: each time by replaying
  every event of the conversation from the start. The states of the last replay are kept for
  each combination of options, and a call for the same tracker, with the same events and
  options, gets a copy of them: same states, and what the caller changes in its copy changes
  nothing else.
- Each replay first works out its "applied" events (a form's execution undoes the turns since
  its previous one), walking back the conversation at each form execution: kept per tracker
  and events, as the states are.
- Every replay makes a tracker, which copies each slot of the domain with ``copy.copy``: Rasa's
  slot classes, plain objects, are copied directly.
"""

from __future__ import annotations

import copy
from typing import Any

from bot.rasa.speedups.patching import replace

_original: dict[str, Any] = {}
# (omit_unset_slots, ignore_rule_only_turns) -> (tracker, domain, number of events, last event, rule_only_data, states)
_states_memo: dict[tuple[bool, bool], tuple[Any, Any, int, Any, Any, list[dict[str, Any]]]] = {}
# Attribute of a tracker: (number of events, last event, the applied events) of the last call.
_APPLIED = "_speedups_applied_events"
# Rasa's slot classes: plain objects, whose copy is a new object with the same attributes (set at install).
_PLAIN_SLOTS: set[type] = set()


def _copied(value: Any) -> Any:
    """Values of a state are strings and tuples; anything mutable is copied in depth."""
    return copy.deepcopy(value) if isinstance(value, (list, dict, set)) else value


def copy_states(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy of dialogue states in which nothing is shared with the original.

    Rasa's states are dicts of dicts of immutable values; some inner dicts are the same object
    in several states (a rule turn takes the user input of the turn before). The copy keeps
    that sharing, as a deep copy would, so that changing one changes the other as in Rasa.
    """
    copies: dict[int, Any] = {}
    result = []
    for state in states:
        copied = {}
        for name, sub_state in state.items():
            twin = copies.get(id(sub_state))
            if twin is None:
                twin = {key: _copied(value) for key, value in sub_state.items()}
                copies[id(sub_state)] = twin
            copied[name] = twin
        result.append(copied)
    return result


def _events_mark(tracker: Any) -> tuple[int, Any]:
    """The number of a tracker's events and its last one: what its events were worked out from.

    Rasa only ever appends events to a tracker (a restart is an event too), so the same number
    and the same last event mean the same events.
    """
    events = tracker.events
    return len(events), (events[-1] if events else None)


def _past_states(
    self: Any,
    domain: Any,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """DialogueStateTracker.past_states, replayed once per tracker, events and options."""
    count, last = _events_mark(self)
    options = (omit_unset_slots, ignore_rule_only_turns)
    kept = _states_memo.get(options)
    if (
        kept is None
        or kept[0] is not self
        or kept[1] is not domain
        or kept[2] != count
        or kept[3] is not last
        or kept[4] != rule_only_data
    ):
        states = _original["past_states"](self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
        kept = (self, domain, count, last, copy.deepcopy(rule_only_data), states)
        _states_memo[options] = kept
    return copy_states(kept[5])


def _applied_events(self: Any) -> list[Any]:
    """DialogueStateTracker.applied_events, worked out once per tracker and events (same list).

    Each dialogue-state replay asks for it, for the same events, and it walks the conversation
    back at each form execution.
    """
    count, last = _events_mark(self)
    kept = self.__dict__.get(_APPLIED)
    if kept is None or kept[0] != count or kept[1] is not last:
        kept = (count, last, _original["applied_events"](self))
        self.__dict__[_APPLIED] = kept
    return list(kept[2])


def _copy_slot(self: Any) -> Any:
    """copy.copy of one of Rasa's slot classes: a new object with the same attributes, made directly.

    A tracker copies every slot of the domain when it is made, and a replay of the
    conversation makes one: ``copy.copy`` goes through ``__reduce_ex__`` (60 µs for our
    eighteen slots, 15 µs made directly). A subclass made elsewhere is copied as ``copy`` does.
    """
    cls = type(self)
    if cls not in _PLAIN_SLOTS:
        return copy._reconstruct(self, None, *self.__reduce_ex__(4))  # what copy.copy does
    new = cls.__new__(cls)
    new.__dict__.update(self.__dict__)
    return new


def install() -> None:
    """Dialogue states and applied events kept per tracker and events; slots copied directly."""
    from rasa.shared.core import slots
    from rasa.shared.core.trackers import DialogueStateTracker

    _states_memo.clear()
    _original["past_states"] = replace(DialogueStateTracker, "past_states", _past_states)
    _original["applied_events"] = replace(DialogueStateTracker, "applied_events", _applied_events)
    plain = (slots.FloatSlot, slots.BooleanSlot, slots.TextSlot, slots.ListSlot, slots.CategoricalSlot, slots.AnySlot)
    _PLAIN_SLOTS.clear()
    for slot_class in plain:
        if "__copy__" in vars(slot_class) or any(
            name in vars(slot_class) for name in ("__slots__", "__getstate__", "__setstate__", "__reduce_ex__")
        ):
            continue  # not a plain object in this Rasa version: copy.copy as before
        _PLAIN_SLOTS.add(slot_class)
        replace(slot_class, "__copy__", _copy_slot)
