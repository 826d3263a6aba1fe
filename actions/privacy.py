"""The person's rights in the conversation: see what is stored, erase it; the retention notice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of, profile_view
from bot.config import get_settings
from bot.matching import join_words
from bot.onboarding import forget, load_volunteer, open_handoffs, slots_for_profile
from bot.privacy import privacy_url
from bot.signups import record_in_words
from bot.texts import labels


class ActionShowMyData(Action):
    """Show exactly what is stored about the person (read from the database, not the conversation)."""

    def name(self) -> str:
        return "action_show_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        channel = channel_of(tracker)
        stored = load_volunteer(channel=channel, sender_id=tracker.sender_id)
        handoffs = open_handoffs(channel=channel, sender_id=tracker.sender_id)
        words = labels()
        handoff_dates = join_words([_date(moment) for moment in handoffs]) if handoffs else words["none_selected"]
        if stored is None:
            if handoffs:
                dispatcher.utter_message(response="utter_no_profile_but_handoffs", handoffs=handoff_dates)
            else:
                dispatcher.utter_message(response="utter_no_data")
            return []
        settings = get_settings()
        view = profile_view(slots_for_profile(stored.profile))
        if stored.shifts is not None:
            view.update(record_in_words(stored.shifts, settings.timezone))
        consent = stored.consent
        dispatcher.utter_message(
            response="utter_my_data",
            consent_at=_date(consent.given_at) if consent else words["not_given"],
            consent_version=consent.text_version if consent else words["not_given"],
            consent_channel=consent.channel if consent else words["not_given"],
            created_at=_date(stored.created_at) if stored.created_at else words["not_given"],
            last_active=_date(stored.last_active) if stored.last_active else words["not_given"],
            proposals=join_words(list(stored.proposals)) if stored.proposals else words["none_selected"],
            applications=join_words(list(stored.applications)) if stored.applications else words["none_selected"],
            handoffs=handoff_dates,
            retention_months=settings.retention_months,
            privacy_url=privacy_url(settings),
            **view,
        )
        return []


def _date(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y")


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


class ActionRetentionNotice(Action):
    """Tell an inactive volunteer their data will be erased soon (sent by `bot privacy purge`)."""

    def name(self) -> str:
        return "action_retention_notice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        stored = load_volunteer(channel=channel_of(tracker), sender_id=tracker.sender_id)
        if stored is None:  # erased meanwhile: nothing to announce
            return []
        dispatcher.utter_message(
            response="utter_retention_notice",
            first_name=stored.profile.first_name,
            notice_days=get_settings().retention_notice_days,
        )
        return []
