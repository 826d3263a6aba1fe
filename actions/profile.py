"""After the form: summary, confirmation and saving; stopping and starting over."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of, profile_view
from actions.profile_form import previous_value
from bot.errors import BotError
from bot.logs import pseudonym
from bot.onboarding import consent_from_slot, save_profile
from bot.profile import PROFILE_SLOTS
from bot.understanding.withdrawal import withdrawn_availability

logger = logging.getLogger(__name__)


PROFILE_ENTITIES = {"first_name", "age", "age_group", "place", "skill", "cause", "availability", "email", "phone"}


class ActionShowSummary(Action):
    """Show the profile and ask for confirmation; a bare "non" asks what to correct.

    Also ends the form kindly when the person is too young (nothing is kept).
    """

    def name(self) -> str:
        return "action_show_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if tracker.get_slot("age_group") == "too_young":
            # utter_too_young was said during validation; keep nothing of this conversation
            return [SlotSet("awaiting", None), SlotSet("consent", None)] + [SlotSet(s, None) for s in PROFILE_SLOTS]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        corrected = {e.get("entity") for e in tracker.latest_message.get("entities", [])} & PROFILE_ENTITIES
        slots = tracker.current_slot_values()
        events: list[EventType] = []
        withdrawn = {slot.key for slot in withdrawn_availability(tracker.latest_message.get("text") or "")}
        if withdrawn:  # "je ne suis plus disponible le samedi": take those half-days out, keep the rest
            before = previous_value(tracker, "availability")
            if before is None and "availability" not in corrected:
                before = slots.get("availability")
            slots["availability"] = [key for key in before or [] if key not in withdrawn]
            events.append(SlotSet("availability", slots["availability"]))
            corrected.add("availability")
        if intent == "deny" and not corrected:
            dispatcher.utter_message(response="utter_ask_correction")
        else:
            dispatcher.utter_message(response="utter_summary", **profile_view(slots))
        return events + [SlotSet("awaiting", "profile_confirmation")]


class ActionSaveProfile(Action):
    """Store the confirmed profile with its consent, all at once."""

    def name(self) -> str:
        return "action_save_profile"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        channel = channel_of(tracker)
        try:
            profile = save_profile(
                channel=channel,
                sender_id=tracker.sender_id,
                slots=tracker.current_slot_values(),
                consent=consent_from_slot(tracker.get_slot("consent_at"), channel),
            )
        except BotError as error:
            logger.warning(
                "profile not saved for conversation %s: %s", pseudonym(tracker.sender_id), type(error).__name__
            )
            dispatcher.utter_message(response="utter_ask_correction")
            return []
        dispatcher.utter_message(response="utter_profile_saved", first_name=profile.first_name)
        return [SlotSet("profile_status", "saved"), SlotSet("awaiting", None), SlotSet("proposed_missions", [])]


class ActionStop(Action):
    """Stop here: forget what was not saved, keep what was."""

    def name(self) -> str:
        return "action_stop"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        events: list[EventType] = [SlotSet("awaiting", None), SlotSet("requested_slot", None)]
        if tracker.get_slot("profile_status") == "saved":
            dispatcher.utter_message(response="utter_stopped_saved")
            return events
        consented = tracker.get_slot("consent") == "given"
        dispatcher.utter_message(response="utter_stopped_consented" if consented else "utter_stopped")
        return events + [SlotSet(s, None) for s in PROFILE_SLOTS]


class ActionStartOver(Action):
    """Start the profile again from the first question (consent, if given, is kept)."""

    def name(self) -> str:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_restarted")
        return [ActiveLoop(None), SlotSet("awaiting", None), SlotSet("requested_slot", None)] + [
            SlotSet(s, None) for s in PROFILE_SLOTS
        ]
