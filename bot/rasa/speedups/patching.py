"""Replacing an attribute of a Rasa class, and putting it back: the one way the speed patches touch Rasa.

Usage (in a module of :mod:`bot.rasa.speedups`)::

    _original["past_states"] = replace(DialogueStateTracker, "past_states", _past_states)
    ...
    restore_all()   # every replaced attribute as it was (bot.rasa.speedups.uninstall)

:func:`replace` returns what the attribute gave before (the function to call for Rasa's own
answer) and remembers the attribute itself, a ``staticmethod`` included, to put it back. An
attribute the class did not have (``__copy__`` of a slot class) is deleted again.
"""

from __future__ import annotations

from typing import Any

_MISSING = object()
# (class, attribute name) -> what the class's own __dict__ held, or _MISSING
_replaced: dict[tuple[type, str], Any] = {}


def replace(owner: type, name: str, replacement: Any) -> Any:
    """Set ``owner.name`` to ``replacement``; return the original as attribute access gave it (None if absent)."""
    key = (owner, name)
    if key not in _replaced:
        _replaced[key] = vars(owner).get(name, _MISSING)
    kept = _replaced[key]
    setattr(owner, name, replacement)
    if kept is _MISSING:
        return None
    return kept.__get__(None, owner) if hasattr(kept, "__get__") else kept


def restore_all() -> None:
    """Put every replaced attribute back as it was."""
    for (owner, name), kept in reversed(list(_replaced.items())):
        if kept is _MISSING:
            if name in vars(owner):
                delattr(owner, name)
        else:
            setattr(owner, name, kept)
    _replaced.clear()


def replaced() -> set[tuple[type, str]]:
    """The attributes replaced now."""
    return set(_replaced)
