"""Re-engagement in the conversation: the unfinished profile's reminder, the suggestion, "stop relances".

The two nudges are triggered by ``bot.reengagement``'s jobs (external intents); "stop relances" is
typed or the button "Ne plus me relancer" under either nudge.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of
from actions.invitations import answer_buttons, where_of
from bot.invitations import invitation
from bot.onboarding import load_volunteer
from bot.reengagement import has_profile, stop_nudges

logger = logging.getLogger(__name__)

STOP_BUTTON = {"title": "Ne plus me relancer", "payload": "/stop_nudges"}


class ActionUnfinishedProfileNudge(Action):
    """Ask once whether the person wants to finish their profile (nothing if they finished it meanwhile)."""

    def name(self) -> str:
        return "action_unfinished_profile_nudge"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if has_profile(sender_id=tracker.sender_id):
            return []
        dispatcher.utter_message(response="utter_unfinished_profile_nudge")
        return []


class ActionInactiveSuggestion(Action):
    """Suggest the mission the job chose, with its reason, to a volunteer silent for a long time."""

    def name(self) -> str:
        return "action_inactive_suggestion"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        mission_id = next(tracker.get_latest_entity_values("mission_id"), None)
        found = invitation(channel=channel_of(tracker), sender_id=tracker.sender_id, mission_id=str(mission_id or ""))
        if found is None or not found[0].reasons:  # closed or full meanwhile, or erased: better say nothing
            logger.info("suggestion of mission %s dropped: no longer fits", mission_id)
            return []
        proposal, mission = found
        dispatcher.utter_message(
            response="utter_inactive_suggestion",
            first_name=_first_name(tracker),
            title=mission.title,
            where=where_of(mission),
            reasons=" ; ".join(proposal.reasons),
            buttons=[*answer_buttons(mission), STOP_BUTTON],
        )
        already = list(tracker.get_slot("proposed_missions") or [])
        return [SlotSet("proposed_missions", [*already, mission.id]), SlotSet("latest_proposals", [mission.id])]


class ActionStopNudges(Action):
    """ "Stop relances": no re-engagement message again; say what still comes and how to stop it."""

    def name(self) -> str:
        return "action_stop_nudges"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        stop_nudges(channel=channel_of(tracker), sender_id=tracker.sender_id)
        dispatcher.utter_message(response="utter_nudges_stopped")
        return []


def _first_name(tracker: Tracker) -> str:
    """The stored first name (the conversation's slot may be older than a rectification)."""
    stored = load_volunteer(channel=channel_of(tracker), sender_id=tracker.sender_id)
    return stored.profile.first_name if stored is not None else ""
