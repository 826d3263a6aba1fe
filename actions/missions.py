"""Mission proposals with their reasons, browsing without a profile, and applications."""

from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of
from actions.shifts import OFFERED
from bot.config import get_settings
from bot.declines import resume_proposals
from bot.errors import NotFoundError
from bot.missions import Mission, Proposal
from bot.onboarding import browse_missions, propose_missions
from bot.signups import with_open_dates
from bot.texts import labels

logger = logging.getLogger(__name__)


def _show(dispatcher: CollectingDispatcher, proposals: list[tuple[Proposal, Mission]], *, can_apply: bool) -> None:
    words = labels()
    for proposal, mission in proposals:
        where = words["remote"] if mission.remote or mission.place is None else mission.place.label
        buttons = []
        if can_apply:
            title = words["interested_button"].format(title=mission.title)
            buttons = [{"title": title, "payload": f'/apply{{"mission_id": "{mission.id}"}}'}]
        buttons.append({"title": words["more_info_button"], "payload": _details_payload(mission.id)})
        dispatcher.utter_message(
            response="utter_mission",
            title=mission.title,
            where=where,
            reasons=" ; ".join(proposal.reasons),
            buttons=buttons,
        )


def _details_payload(mission_id: str) -> str:
    return "/mission_details" + json.dumps({"mission_id": mission_id})


class ActionProposeMissions(Action):
    """Propose the best missions not yet proposed nor declined, each with the reasons it fits.

    Asking for missions also undoes "Ne plus recevoir de propositions" (actions/declines.py).
    """

    def name(self) -> str:
        return "action_propose_missions"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        already = list(tracker.get_slot("proposed_missions") or [])
        saved = tracker.get_slot("profile_status") == "saved"
        # a mission proposed before that still has dates with places comes back: once the dates'
        # buttons are gone, "voir les missions" is the way back to them
        dated = with_open_dates(get_settings(), already) if saved else set()
        exclude = [m for m in already if m not in dated]
        events: list[EventType] = []
        if saved and tracker.get_slot("proposals_stopped"):
            if resume_proposals(channel=channel_of(tracker), sender_id=tracker.sender_id):
                dispatcher.utter_message(response="utter_proposals_resumed")
            events.append(SlotSet("proposals_stopped", None))
        try:
            if saved:
                proposals = propose_missions(channel=channel_of(tracker), sender_id=tracker.sender_id, exclude=exclude)
            else:
                proposals = browse_missions(slots=tracker.current_slot_values(), exclude=exclude)
        except NotFoundError:  # the profile was erased elsewhere (console, CLI)
            proposals, saved = browse_missions(slots={}, exclude=exclude), False
        if not proposals:
            dispatcher.utter_message(response="utter_no_more_missions")
            return events
        dispatcher.utter_message(response="utter_missions_intro" if saved else "utter_missions_browse_intro")
        _show(dispatcher, proposals, can_apply=saved)
        dispatcher.utter_message(response="utter_missions_choice" if saved else "utter_missions_choice_anonymous")
        shown = [p.mission_id for p, _ in proposals]
        proposed = already + [m for m in shown if m not in already]
        return [*events, SlotSet("proposed_missions", proposed), SlotSet("latest_proposals", shown)]


class ActionApply(Action):
    """The volunteer is interested in a mission: record an application for staff."""

    def name(self) -> str:
        return "action_apply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        from bot.onboarding import apply_to_mission

        mission_id = tracker.get_slot("mission_id")
        if tracker.get_slot("profile_status") != "saved":
            dispatcher.utter_message(response="utter_application_needs_profile")
            return []
        if not mission_id:
            dispatcher.utter_message(response="utter_which_mission")
            return []
        min_age = _too_young(tracker, str(mission_id))
        if min_age is not None:
            # staff would review an application the person may not take up (legal eligibility)
            _say_too_young(dispatcher, title=_title_of(str(mission_id)), min_age=min_age)
            return [SlotSet("mission_id", None)]
        try:
            title, created = apply_to_mission(
                channel=channel_of(tracker), sender_id=tracker.sender_id, mission_id=mission_id
            )
        except NotFoundError:
            dispatcher.utter_message(response="utter_unknown_mission")
            return [SlotSet("mission_id", None)]
        dispatcher.utter_message(
            response="utter_application_recorded" if created else "utter_application_already", title=title
        )
        offered = _offer_dates(dispatcher, tracker, str(mission_id))
        # the dates offered are remembered, so that one typed in words is read against them (action_choose_shift)
        return [SlotSet("mission_id", None), SlotSet(OFFERED, str(mission_id) if offered else None)]


def _offer_dates(dispatcher: CollectingDispatcher, tracker: Tracker, mission_id: str) -> bool:
    """After "Ça m'intéresse" on a dated mission: its next dates with places left, to pick one now (True if any)."""
    from bot import signups
    from bot.config import get_settings

    settings = get_settings()
    if _too_young(tracker, mission_id) is not None:
        return False  # its dates are for people of the mission's minimum age and over (bot.signups.book)
    choices = signups.shift_choices(settings, mission_id=mission_id)
    if choices is None or not choices.shifts:
        return False
    buttons = signups.choice_buttons(settings, choices)
    dispatcher.utter_message(response="utter_apply_choose_shift", mission=choices.mission, buttons=buttons)
    return True


class ActionMissionDetails(Action):
    """ "Plus d'infos" under a proposal: description, address, next dates with places left, contact.

    Reached by the button only (``/mission_details{"mission_id": ...}``); offers to sign up for a
    date when the mission has some with places left and the person has a profile.
    """

    def name(self) -> str:
        return "action_mission_details"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        from bot.shifts import mission_details

        mission_id = next(tracker.get_latest_entity_values("mission_id"), None) or tracker.get_slot("mission_id")
        details = mission_details(str(mission_id)) if mission_id else None
        if details is None:
            dispatcher.utter_message(response="utter_unknown_mission")
            return [SlotSet("mission_id", None)]
        words = labels()
        where = words["remote"] if details.remote or not details.place else details.place
        dispatcher.utter_message(
            response="utter_mission_details", title=details.title, where=where, description=details.description or "—"
        )
        if details.address:
            dispatcher.utter_message(response="utter_mission_details_address", address=details.address)
        if details.dates:
            lines = [
                words["shift_full"].format(label=line.label)
                if line.places_left <= 0
                else words["shift_places_one" if line.places_left == 1 else "shift_places"].format(
                    label=line.label, n=line.places_left
                )
                for line in details.dates
            ]
            dispatcher.utter_message(response="utter_mission_details_dates", dates="\n".join(f"• {x}" for x in lines))
        elif details.dated:
            dispatcher.utter_message(response="utter_mission_details_no_dates")
        if details.contact:
            dispatcher.utter_message(response="utter_mission_details_contact", contact=details.contact)
        if tracker.get_slot("profile_status") != "saved":
            dispatcher.utter_message(response="utter_missions_choice_anonymous")
        elif details.bookable and (min_age := _too_young(tracker, details.id)) is not None:
            _say_too_young(dispatcher, title=details.title, min_age=min_age)
        elif details.bookable:
            payload = "/sign_up" + json.dumps({"mission_id": details.id})
            buttons = [{"title": words["sign_up_button"], "payload": payload}]
            dispatcher.utter_message(response="utter_mission_details_choice", buttons=buttons)
        else:
            payload = "/apply" + json.dumps({"mission_id": details.id})
            buttons = [{"title": words["invitation_accept_button"], "payload": payload}]
            dispatcher.utter_message(response="utter_mission_details_choice", buttons=buttons)
        return [SlotSet("mission_id", None)]


def _say_too_young(dispatcher: CollectingDispatcher, *, title: str, min_age: int) -> None:
    """No date to sign up to: the mission is for people of ``min_age`` and over (words of signups.yml)."""
    from bot import signups
    from bot.config import get_settings

    dispatcher.utter_message(text=signups.too_young_text(get_settings(), mission=title, min_age=min_age))


def _title_of(mission_id: str) -> str:
    from bot.store import missions as mission_store
    from bot.store.session import session_scope

    with session_scope() as session:
        mission = mission_store.get(session, mission_id)
        return mission.title if mission is not None else mission_id


def _too_young(tracker: Tracker, mission_id: str) -> int | None:
    """The mission's minimum age when this conversation's volunteer is below it (bot.signups.too_young_for)."""
    from bot import signups
    from bot.config import get_settings

    return signups.too_young_for(
        get_settings(), mission_id=mission_id, channel=channel_of(tracker), sender_id=tracker.sender_id
    )
