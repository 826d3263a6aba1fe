"""Forms: the unique entity mappings of a form, worked out once per domain.

Rasa makes a new form action for every slot mapping it checks, and each one works out the
form's unique entity mappings from the domain again: kept per form and domain.
"""

from __future__ import annotations

from typing import Any

from bot.rasa.speedups.patching import replace

_original: dict[str, Any] = {}
# form name -> (the domain, the unique entity mappings of the form in it)
_unique_mappings: dict[str, tuple[Any, frozenset[str]]] = {}


def _unique_entity_mappings(self: Any, domain: Any) -> set[str]:
    """FormAction._create_unique_entity_mappings, worked out once per form and domain.

    Rasa creates a form action for each slot mapping it checks, at each message, and each one
    worked out the form's unique entity mappings again from the domain: the same set each time.
    """
    kept = _unique_mappings.get(self.name())
    if kept is None or kept[0] is not domain:
        kept = (domain, frozenset(_original["unique_entity_mappings"](self, domain)))
        _unique_mappings[self.name()] = kept
    return set(kept[1])


def install() -> None:
    """Unique entity mappings kept per form and domain."""
    from rasa.core.actions.forms import FormAction

    _unique_mappings.clear()
    _original["unique_entity_mappings"] = replace(FormAction, "_create_unique_entity_mappings", _unique_entity_mappings)
