"""A volunteer declines missions: ask why (buttons or a few words), and let them stop proposals.

The question never traps anyone: the declines are stored before it is asked (reason ``unknown``),
words are taken as an answer only right after it (data/rules/declines.yml), and anything else the
volunteer asks is answered by its own rule, the question dropped.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of
from bot.declines import decline, give_reason, stop_proposals
from bot.errors import NotFoundError

logger = logging.getLogger(__name__)

# What the buttons of utter_ask_decline_reason send ("Passer": unknown; "Autre raison" asks for words).
BUTTON_REASONS = ("too_far", "wrong_days", "not_my_cause", "unknown")


def slots_before_last_message(events: list[dict[str, Any]]) -> list[EventType]:
    """Events that put back the slots the last message filled: an explanation is not a profile change.

    Rasa fills slots from entities before any action runs ("je ne suis pas libre le samedi" would
    replace the availability); the values before that message are the last ones set earlier.
    """
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    changed = [e["name"] for e in events[last_user + 1 :] if e.get("event") == "slot"]
    before: dict[str, Any] = {}
    for event in events[: last_user + 1]:
        if event.get("event") == "slot" and event.get("name") in changed:
            before[event["name"]] = event.get("value")
    return [SlotSet(name, before.get(name)) for name in dict.fromkeys(changed)]


def _pending(tracker: Tracker) -> list[int]:
    value = tracker.get_slot("pending_declines")
    return [int(i) for i in value if str(i).isdigit()] if isinstance(value, list) else []


class ActionAskDeclineReason(Action):
    """Record the missions just declined (proposals, or the invitation's mission), then ask why."""

    def name(self) -> str:
        return "action_ask_decline_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        invited = next(tracker.get_latest_entity_values("mission_id"), None)
        latest = tracker.get_slot("latest_proposals")
        mission_ids = [str(invited)] if invited else [str(m) for m in latest or []]
        try:
            ids = decline(channel=channel_of(tracker), sender_id=tracker.sender_id, mission_ids=mission_ids)
        except NotFoundError:  # the profile was erased elsewhere (console, CLI): nothing to record
            ids = []
        if not ids:  # nothing (left) to decline: no question, nothing stored
            dispatcher.utter_message(response="utter_decline_missions")
            return [SlotSet("mission_id", None), SlotSet("pending_declines", [])]
        dispatcher.utter_message(response="utter_ask_decline_reason")
        return [SlotSet("mission_id", None), SlotSet("latest_proposals", []), SlotSet("pending_declines", ids)]


class ActionRecordDeclineReason(Action):
    """A reason button was pressed (or "Passer"): store it and thank the volunteer."""

    def name(self) -> str:
        return "action_record_decline_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        reason = next(tracker.get_latest_entity_values("decline_reason"), None)
        reason = reason if reason in BUTTON_REASONS else "unknown"
        pending = _pending(tracker)
        if pending and reason != "unknown":
            try:
                give_reason(
                    channel=channel_of(tracker), sender_id=tracker.sender_id, decline_ids=pending, reason=reason
                )
            except NotFoundError:
                logger.info("decline reason for an erased profile: nothing stored")
        dispatcher.utter_message(response="utter_decline_skipped" if reason == "unknown" else "utter_decline_thanks")
        return [SlotSet("pending_declines", None)]


class ActionRecordDeclineWords(Action):
    """The volunteer wrote why, in their words: stored as they are (reason ``other``), never classified."""

    def name(self) -> str:
        return "action_record_decline_words"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        restored = slots_before_last_message(list(tracker.events))
        pending = _pending(tracker)
        if not pending:  # nothing was declined (a profile erased meanwhile): no question was pending
            dispatcher.utter_message(response="utter_anything_else")
            return restored
        words = tracker.latest_message.get("text") or ""
        try:
            give_reason(
                channel=channel_of(tracker),
                sender_id=tracker.sender_id,
                decline_ids=pending,
                reason="other",
                words=words,
            )
        except NotFoundError:
            logger.info("decline words for an erased profile: nothing stored")
        dispatcher.utter_message(response="utter_decline_thanks")
        return [*restored, SlotSet("pending_declines", None)]


class ActionStopProposals(Action):
    """No more proposals: remember it, and say how to undo it."""

    def name(self) -> str:
        return "action_stop_proposals"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        try:
            stop_proposals(channel=channel_of(tracker), sender_id=tracker.sender_id)
        except NotFoundError:  # no profile (erased meanwhile): nobody will send them proposals anyway
            logger.info("opt-out without a stored profile")
        dispatcher.utter_message(response="utter_proposals_stopped")
        return [SlotSet("proposals_stopped", True)]
