"""The greeting: a known volunteer is welcomed back once a session, not again mid-conversation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.greeting import ActionGreet, session_has_begun
from tests.actions.conftest import make_tracker

KNOWN = {"first_name": "Marc", "consent": "given", "profile_status": "saved"}
STARTED = [{"event": "session_started"}, {"event": "action", "name": "action_listen"}]
SPOKEN = [{"event": "user", "text": "bonjour"}, {"event": "bot", "text": "Bonjour Marc, ravi de vous revoir !"}]


def greeting(slots: dict[str, Any], events: list[dict[str, Any]], intent: str = "greet") -> list[str]:
    """The responses action_greet chose."""
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionGreet().run(dispatcher, make_tracker("bonjour", intent=intent, slots=slots, events=events), {}))
    return [message["response"] for message in dispatcher.messages]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([], False),
        (STARTED, False),
        (STARTED + SPOKEN, True),
        (SPOKEN + STARTED, False),  # a new session after 120 minutes of silence: greeted again
        ([{"event": "bot", "text": "Rappel : demain, tri des dons."}] + [{"event": "user", "text": "bonjour"}], True),
    ],
)
def test_session_has_begun(events: list[dict[str, Any]], expected: bool) -> None:
    assert session_has_begun(events) == expected


def test_known_volunteer_is_welcomed_back_at_the_start_of_a_session() -> None:
    assert greeting(KNOWN, STARTED) == ["utter_greet_returning"]


def test_known_volunteer_is_not_welcomed_back_again_mid_conversation() -> None:
    assert greeting(KNOWN, STARTED + SPOKEN) == ["utter_greet_again"]


def test_registered_volunteer_who_wants_to_volunteer_mid_conversation_gets_the_options() -> None:
    assert greeting(KNOWN, STARTED + SPOKEN, intent="want_to_volunteer") == ["utter_greet_again"]


def test_unknown_person_gets_the_full_greeting() -> None:
    assert greeting({}, STARTED + SPOKEN) == ["utter_greet"]
