"""Events read back from the tracker store: their class found by name.

Reading a conversation back turns each stored event into an object, and
``Event.resolve_by_type`` finds its class by walking every subclass of ``Event``, for each of
the hundreds of events of a conversation. The class is looked up in a dictionary, rebuilt
whenever a name is missing: same answers.
"""

from __future__ import annotations

from typing import Any

from bot.rasa.speedups.patching import replace

_original: dict[str, Any] = {}
_event_classes: dict[str, type] = {}


def _resolve_event_type(type_name: str, default: type | None = None) -> type | None:
    """Event.resolve_by_type through a dictionary of the known event classes (same answers)."""
    event_class = _event_classes.get(type_name)
    if event_class is None:
        from rasa.shared.core.events import Event
        from rasa.shared.utils.common import all_subclasses

        found: dict[str, type] = {}
        for candidate in all_subclasses(Event):
            found.setdefault(candidate.type_name, candidate)  # the first one wins, as in Rasa
        _event_classes.clear()
        _event_classes.update(found)
        event_class = _event_classes.get(type_name)
        if event_class is None:  # unknown name: Rasa's own answer (None, the default or an error)
            return _original["resolve_by_type"](type_name, default)  # type: ignore[no-any-return]
    return event_class


def install() -> None:
    """Event classes by name from a dictionary."""
    from rasa.shared.core.events import Event

    _original["resolve_by_type"] = replace(Event, "resolve_by_type", staticmethod(_resolve_event_type))
