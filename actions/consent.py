"""Consent: asked before any personal data is stored; without it, questions and missions stay open."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of
from bot.config import get_settings
from bot.onboarding import consent_to_slot
from bot.privacy import with_privacy_details
from bot.profile import PROFILE_SLOTS, ConsentRecord
from bot.texts import consent_text


class ActionAskConsent(Action):
    """Say what is kept, why, for how long and how to delete it, and ask for consent."""

    def name(self) -> str:
        return "action_ask_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        text = consent_text()
        dispatcher.utter_message(
            text=with_privacy_details(text.text, get_settings()),
            buttons=[{"title": text.accept, "payload": "/affirm"}, {"title": text.decline, "payload": "/deny"}],
        )
        return [SlotSet("awaiting", "consent")]


class ActionRecordConsent(Action):
    """Remember that consent was given (and to which text version) until the profile is saved."""

    def name(self) -> str:
        return "action_record_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        consent = ConsentRecord(consent_text().version, datetime.now(timezone.utc), channel_of(tracker))
        return [
            SlotSet("consent", "given"),
            SlotSet("consent_at", consent_to_slot(consent)),
            SlotSet("awaiting", None),
        ]


class ActionDeclineConsent(Action):
    """Consent refused: forget what the conversation had noted about the person."""

    def name(self) -> str:
        return "action_decline_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_consent_declined")
        return [SlotSet("consent", "refused"), SlotSet("awaiting", None)] + [SlotSet(s, None) for s in PROFILE_SLOTS]
