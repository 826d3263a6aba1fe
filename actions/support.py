"""FAQ answers from the association's file, and requests to talk to a person."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of
from bot.config import get_settings
from bot.opening_hours import closed_notice as outside_opening_hours
from bot.privacy import with_privacy_details
from bot.texts import faq_answers, labels

logger = logging.getLogger(__name__)


class ActionAnswerFaq(Action):
    """Answer a frequently asked question with the text of data/association/faq.yml."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        answer = faq_answers().get(intent)
        if answer is None:
            dispatcher.utter_message(response="utter_faq_unknown")
        else:
            dispatcher.utter_message(text=with_privacy_details(answer, get_settings()))
        return []


class ActionHandoff(Action):
    """Record a request to talk to a person and say how and when staff will answer."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        from bot.onboarding import request_handoff

        request_handoff(channel=channel_of(tracker), sender_id=tracker.sender_id)
        saved = tracker.get_slot("profile_status") == "saved"
        means = labels()["contact_means"]
        if saved and tracker.get_slot("email"):
            dispatcher.utter_message(response="utter_handoff_with_contact", contact_means=means["email"])
        elif saved and tracker.get_slot("phone"):
            dispatcher.utter_message(response="utter_handoff_with_contact", contact_means=means["phone"])
        else:
            dispatcher.utter_message(response="utter_handoff_without_contact")
        closed = outside_opening_hours(get_settings())
        if closed:
            dispatcher.utter_message(text=closed)
        return []
