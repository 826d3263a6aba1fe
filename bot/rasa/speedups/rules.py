"""RulePolicy: the rules that can match, found with fewer checks.

RulePolicy checks every rule against the last turn, for every prediction, and the rules left
against every turn back to the first: only the rules that can match the last turn's previous
action are checked, and no turn further back than the longest rule.
"""

from __future__ import annotations

from typing import Any

from bot.rasa.speedups.patching import replace

_original: dict[str, Any] = {}
# a rule lookup's keys, its longest rule, its rules by last previous action, and the other rules
RuleIndex = tuple[frozenset[str], int, dict[str, frozenset[str]], frozenset[str]]
# id of a rule lookup -> (the lookup, its index)
_rule_indexes: dict[int, tuple[Any, RuleIndex]] = {}


def _rule_index(lookup: dict[str, str]) -> RuleIndex:
    """The rules of a lookup by the previous action of their last state, and their greatest length.

    Kept per lookup, and made again whenever its keys change (RulePolicy's training changes them).
    """
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET
    from rasa.shared.nlu.constants import ACTION_NAME

    kept = _rule_indexes.get(id(lookup))
    if kept is not None and kept[0] is lookup and kept[1][0] == lookup.keys():
        return kept[1]
    by_action: dict[str, set[str]] = {}
    anywhere = set()
    longest = 0
    for key in lookup:
        states = RulePolicy._rule_key_to_state(key)
        longest = max(longest, len(states))
        action = (states[-1].get(PREVIOUS_ACTION) or {}).get(ACTION_NAME) if states else None
        if action and action != SHOULD_NOT_BE_SET:
            by_action.setdefault(action, set()).add(key)
        else:
            anywhere.add(key)
    index: RuleIndex = (
        frozenset(lookup),
        longest,
        {name: frozenset(keys) for name, keys in by_action.items()},
        frozenset(anywhere),
    )
    _rule_indexes[id(lookup)] = (lookup, index)
    while len(_rule_indexes) > 8:  # a server has one lookup per loaded model; training makes a few
        del _rule_indexes[next(iter(_rule_indexes))]
    return index


def _get_possible_keys(self: Any, lookup: dict[str, str], states: list[dict[str, Any]]) -> set[str]:
    """RulePolicy._get_possible_keys: the same keys, with fewer rules checked.

    Rasa checks every rule against the last turn of the conversation, then the survivors
    against the turn before, and so on back to the first turn. Here:

    - against the last turn, only the rules whose last state names no previous action, or
      names the conversation's: a rule naming another one fails that check
      (``_does_rule_match_state``), so it is left out without being checked;
    - no turn further back than the longest rule is checked, since a rule applies to any turn
      further back than its own length (``_is_rule_applicable`` says so first thing).
    """
    from rasa.shared.core.constants import PREVIOUS_ACTION
    from rasa.shared.nlu.constants import ACTION_NAME

    keys, longest, by_action, anywhere = _rule_index(lookup)
    if not states or not longest:
        return set(keys)
    last = states[-1]
    action = (last.get(PREVIOUS_ACTION) or {}).get(ACTION_NAME)
    candidates = anywhere | by_action.get(action, frozenset()) if action else anywhere
    possible_keys = {key for key in candidates if self._is_rule_applicable(key, 0, last)}
    for turn, state in enumerate(reversed(states[:-1]), start=1):
        if turn >= longest or not possible_keys:
            break
        possible_keys = {key for key in possible_keys if self._is_rule_applicable(key, turn, state)}
    return possible_keys


def install() -> None:
    """Rules indexed by the previous action of their last state."""
    from rasa.core.policies.rule_policy import RulePolicy

    _original["get_possible_keys"] = replace(RulePolicy, "_get_possible_keys", _get_possible_keys)
