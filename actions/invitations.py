"""A staff member invited the volunteer to a mission from the console: present it, with buttons."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of
from bot.invitations import invitation
from bot.missions import Mission
from bot.texts import labels

logger = logging.getLogger(__name__)


def where_of(mission: Mission) -> str:
    """Where a mission happens, as an invitation says it: its town, or "à distance"."""
    return labels()["remote"] if mission.remote or mission.place is None else mission.place.label


def answer_buttons(mission: Mission) -> list[dict[str, str]]:
    """The buttons to say yes or no to a mission the assistant brings up by itself (invitation, suggestion)."""
    words = labels()
    return [
        {"title": words["invitation_accept_button"], "payload": f'/apply{{"mission_id": "{mission.id}"}}'},
        {"title": words["invitation_decline_button"], "payload": f'/decline_missions{{"mission_id": "{mission.id}"}}'},
    ]


class ActionInviteToMission(Action):
    """Present the mission staff chose, why it fits, and buttons to apply, decline (then say why) or stop proposals."""

    def name(self) -> str:
        return "action_invite_to_mission"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        mission_id = next(tracker.get_latest_entity_values("mission_id"), None) or tracker.get_slot("mission_id")
        found = invitation(channel=channel_of(tracker), sender_id=tracker.sender_id, mission_id=str(mission_id or ""))
        if found is None:
            dispatcher.utter_message(response="utter_invitation_unavailable")
            return [SlotSet("mission_id", None)]
        proposal, mission = found
        words = labels()
        buttons = [
            *answer_buttons(mission),
            {"title": words["stop_proposals_button"], "payload": "/stop_proposals"},
        ]
        dispatcher.utter_message(
            response="utter_mission_invitation" if proposal.reasons else "utter_mission_invitation_no_reason",
            title=mission.title,
            where=where_of(mission),
            reasons=" ; ".join(proposal.reasons),
            buttons=buttons,
        )
        already = list(tracker.get_slot("proposed_missions") or [])
        return [
            SlotSet("mission_id", None),
            SlotSet("proposed_missions", [*already, mission.id]),
            SlotSet("latest_proposals", [mission.id]),
        ]
