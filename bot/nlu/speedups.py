"""Make the Rasa server faster without changing what it does.

Two hot spots of Rasa 3.6, replaced by equivalent code when the server loads our model
(:class:`bot.nlu.profile_extractor.ProfileEntityExtractor` calls :func:`install`):

- every answer of the action server is checked against its JSON schema with
  ``jsonschema.validate``, which first re-checks the (large) schema itself against the
  JSON Schema meta-schema: about 50 ms of CPU per custom action call, more than the rest
  of a turn. We validate with a validator compiled once: same checks, same error.
- reading a conversation back from the tracker store turns each stored event into an
  object, and ``Event.resolve_by_type`` finds its class by walking every subclass of
  ``Event``, for each of the hundreds of events of a conversation. We look the class up
  in a dictionary, rebuilt whenever a name is missing: same answers.

``make bench`` measures the server with them (our model) and without (Rasa's defaults).
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

logger = logging.getLogger(__name__)

_original: dict[str, Any] = {}
_event_classes: dict[str, type] = {}


@cache
def _action_result_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of on every call
    return validator_class(schema)


def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with a compiled validator (same checks, same error)."""
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _action_result_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise


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
    """Patch the Rasa server in this process (idempotent)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    if not _original:
        _original["validate_action_result"] = RemoteAction._validate_action_result
        _original["resolve_by_type"] = Event.resolve_by_type
        RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
        Event.resolve_by_type = staticmethod(_resolve_event_type)  # type: ignore[method-assign,assignment]
        logger.debug("installed the compiled action result validator and the event class lookup")
