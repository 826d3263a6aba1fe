"""Session start (returning volunteers), greeting, and the frequently asked questions."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of
from bot.onboarding import consent_to_slot, load_volunteer, slots_for_profile

logger = logging.getLogger(__name__)


SESSION_ONLY = frozenset({"offered_mission"})  # slots a new session starts without


class ActionSessionStart(Action):
    """Start a session; a returning volunteer's stored profile is loaded into the slots."""

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        # carry over what the previous session knew (the profile being filled in, consent), but not the dates
        # offered then: a date typed days later ("je m'inscris samedi") must not book one of them unasked
        events += [
            SlotSet(key, value)
            for key, value in tracker.current_slot_values().items()
            if value is not None and key not in SESSION_ONLY
        ]
        stored = load_volunteer(channel=channel_of(tracker), sender_id=tracker.sender_id)
        if stored is not None:
            events += [SlotSet(key, value) for key, value in slots_for_profile(stored.profile).items()]
            events += [SlotSet("consent", "given"), SlotSet("profile_status", "saved")]
            if stored.consent is not None:
                events.append(SlotSet("consent_at", consent_to_slot(stored.consent)))
        events.append(ActionExecuted("action_listen"))
        return events


def session_has_begun(events: list[dict[str, Any]]) -> bool:
    """Whether the assistant has already spoken in the current session (a greeting now would be mid-conversation)."""
    for event in reversed(events):
        if event.get("event") == "session_started":
            return False
        if event.get("event") == "bot":
            return True
    return False


class ActionGreet(Action):
    """Greet: by first name when the volunteer is known (once a session), else say what the assistant can do."""

    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if tracker.get_slot("profile_status") == "saved" and tracker.get_slot("first_name"):
            # "ravi de vous revoir" opens a session; said again after a reminder or mid-conversation it jars
            begun = session_has_begun(tracker.events)
            dispatcher.utter_message(response="utter_greet_again" if begun else "utter_greet_returning")
        else:
            dispatcher.utter_message(response="utter_greet")
        return []
