"""Tests of bot.nlu.speedups: the patched Rasa functions give Rasa's own answers."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

from bot.nlu import speedups


@pytest.fixture(scope="module", autouse=True)
def installed() -> None:
    speedups.install()
    speedups.install()  # idempotent


def test_event_classes_are_found_by_name_as_rasa_does() -> None:
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")
    assert Event.from_parameters({"event": "slot", "name": "first_name", "value": "Julie"}) == SlotSet(
        "first_name", "Julie"
    )


def test_action_results_are_still_validated() -> None:
    action = RemoteAction("validate_profile_form", None)
    good = {"events": [{"event": "slot", "name": "first_name", "value": "Julie"}], "responses": [{"text": "Bonjour"}]}
    assert action._validate_action_result(good) is True
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"event": "no_such_event"}], "responses": []})
