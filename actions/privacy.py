"""The person's rights in the conversation: see what is stored, erase it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of, profile_view
from bot.onboarding import forget, load_volunteer, slots_for_profile
from bot.texts import labels


class ActionShowMyData(Action):
    """Show exactly what is stored about the person (read from the database, not the conversation)."""

    def name(self) -> str:
        return "action_show_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        stored = load_volunteer(channel=channel_of(tracker), sender_id=tracker.sender_id)
        if stored is None:
            dispatcher.utter_message(response="utter_no_data")
            return []
        words = labels()
        view = profile_view(slots_for_profile(stored.profile))
        consent_at = stored.consent.given_at.strftime("%d/%m/%Y") if stored.consent else words["not_given"]
        applications = ", ".join(stored.applications) if stored.applications else words["none_selected"]
        dispatcher.utter_message(response="utter_my_data", consent_at=consent_at, applications=applications, **view)
        return []


class ActionAskErasure(Action):
    """Ask for confirmation before erasing."""

    def name(self) -> str:
        return "action_ask_erasure"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_confirm_erasure")
        return [SlotSet("awaiting", "erasure")]


class ActionForgetMe(Action):
    """Erase the person's stored data and what the conversation remembers of them."""

    def name(self) -> str:
        return "action_forget_me"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        forget(channel=channel_of(tracker), sender_id=tracker.sender_id)
        dispatcher.utter_message(response="utter_erased")
        return [AllSlotsReset()]


class ActionCancelErasure(Action):
    """Keep everything."""

    def name(self) -> str:
        return "action_cancel_erasure"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_erasure_cancelled")
        return [SlotSet("awaiting", None)]
